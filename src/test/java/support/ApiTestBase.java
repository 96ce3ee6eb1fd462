package support;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One service, one fresh database and one issuer per test class, plus the usual fixtures:
 * an admin, a trainer and members, each with a token linked to its member record.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class ApiTestBase {

  protected TestDatabase db;
  protected TestIssuer issuer;
  protected RosterApp app;
  protected Api api;

  /** An admin linked to a member record, and its token. */
  protected Person admin;
  protected Person trainer;

  /** A member record with the subject its token carries. */
  public record Person(String id, String subject, String token, JsonObject json) {
  }

  @BeforeAll
  void startService() {
    db = createDatabase();
    issuer = new TestIssuer();
    app = startApp(serviceSettings());
    api = new Api(app.baseUrl());
    String bootstrapToken = issuer.token("bootstrap-admin", "admin");
    admin = createPerson(bootstrapToken, "admin");
    trainer = createPerson(admin.token(), "trainer");
  }

  @AfterAll
  void stopService() {
    if (app != null) {
      app.close();
    }
    if (issuer != null) {
      issuer.close();
    }
    try {
      if (db != null) {
        db.drop();
      }
    } finally {
      afterDatabase();
    }
  }

  /** Runs once the database is dropped: a class that brought its own server stops it here. */
  protected void afterDatabase() {
  }

  /** The database of this class: a fresh one on the test server, unless a class brings its own server. */
  protected TestDatabase createDatabase() {
    return TestDatabase.create(getClass().getSimpleName());
  }

  /** Starts the service of this class (a class may build it differently, e.g. traced). */
  protected RosterApp startApp(java.util.Map<String, String> settings) {
    return RosterApp.start(db, issuer, settings);
  }

  /** Extra ROSTER_* settings for the service of this class (none by default). */
  protected java.util.Map<String, String> serviceSettings() {
    return java.util.Map.of();
  }

  /** Creates a member with the given role, linked to a fresh subject, and a token for that subject. */
  protected Person createPerson(String adminToken, String role) {
    String subject = role + "-" + UUID.randomUUID();
    JsonObject body = new JsonObject().put("email", subject + "@example.com").put("name", "Test " + role)
        .put("role", role).put("subject", subject);
    Api.Res res = api.post("/v1/members", adminToken, body);
    assertThat(res.status()).as(res.toString()).isEqualTo(201);
    return new Person(res.json().getString("id"), subject, issuer.token(subject, role), res.json());
  }

  protected Person member() {
    return createPerson(admin.token(), "member");
  }

  /** An event starting tomorrow; returns its JSON. */
  protected JsonObject createEvent(int capacity, int waitlist) {
    return createEvent(new JsonObject().put("capacity", capacity).put("waitlistCapacity", waitlist));
  }

  protected JsonObject createEvent(JsonObject overrides) {
    Instant start = Instant.now().plus(1, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
    JsonObject body = new JsonObject().put("title", "Spin class").put("startsAt", start.toString())
        .put("endsAt", start.plus(1, ChronoUnit.HOURS).toString()).put("capacity", 10).mergeIn(overrides);
    Api.Res res = api.post("/v1/events", admin.token(), body);
    assertThat(res.status()).as(res.toString()).isEqualTo(201);
    return res.json();
  }

  protected Api.Res book(Person who, String eventId) {
    return api.post("/v1/bookings", who.token(), new JsonObject().put("eventId", eventId));
  }

  /** The fields a validation problem names, each with a message. */
  protected static java.util.List<String> errorFields(Api.Res res) {
    io.vertx.core.json.JsonArray errors = res.json().getJsonArray("errors");
    assertThat(errors).as("errors[] of " + res).isNotNull().isNotEmpty();
    java.util.List<String> out = new java.util.ArrayList<>();
    errors.forEach(o -> {
      assertThat(((JsonObject) o).getString("message")).isNotBlank();
      out.add(((JsonObject) o).getString("field"));
    });
    return out;
  }

  /** Asserts a problem+json response with the given status and code. */
  protected static void assertProblem(Api.Res res, int status, String code) {
    assertThat(res.status()).as(res.toString()).isEqualTo(status);
    assertThat(res.contentType()).startsWith("application/problem+json");
    assertThat(res.json().getString("code")).isEqualTo(code);
    assertThat(res.json().getInteger("status")).isEqualTo(status);
  }
}
