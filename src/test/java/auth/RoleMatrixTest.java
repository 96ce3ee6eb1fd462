package auth;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import support.Api;
import support.ApiTestBase;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every operation of openapi.yaml's Members, Events and Bookings tags, called by each kind of caller, against
 * fresh resources per row: the status (and problem code) openapi.yaml implies, and for changes, whether the
 * database really changed.
 *
 * <p>Callers: {@code ADMIN}; {@code TRAINER}, the trainer of the row's event; {@code OTHER_TRAINER}, a trainer
 * of no event of the row; {@code MEMBER}, the member who owns the row's resource (the member itself, the
 * booking's member); {@code OTHER_MEMBER}, an unrelated member; {@code NONE}, no token at all.
 */
class RoleMatrixTest extends ApiTestBase {

  enum Who { ADMIN, TRAINER, OTHER_TRAINER, MEMBER, OTHER_MEMBER, NONE }

  enum Op {
    CREATE_MEMBER("POST /v1/members"),
    GET_MEMBER("GET /v1/members/{id}"),
    GET_ME("GET /v1/members/me"),
    LIST_MEMBERS("GET /v1/members"),
    PATCH_MEMBER_NAME("PATCH /v1/members/{id} {name}"),
    PATCH_MEMBER_PHONE("PATCH /v1/members/{id} {phone}"),
    PATCH_MEMBER_ROLE("PATCH /v1/members/{id} {role}"),
    PATCH_MEMBER_STATUS("PATCH /v1/members/{id} {status}"),
    CREATE_EVENT("POST /v1/events"),
    LIST_EVENTS("GET /v1/events"),
    GET_EVENT("GET /v1/events/{id}"),
    PATCH_EVENT("PATCH /v1/events/{id}"),
    CANCEL_EVENT("POST /v1/events/{id}/cancel"),
    GET_ROSTER("GET /v1/events/{id}/roster"),
    BOOK_FOR_MEMBER("POST /v1/bookings {eventId, memberId: the member}"),
    BOOK_FOR_SELF("POST /v1/bookings {eventId}"),
    GET_BOOKING("GET /v1/bookings/{id}"),
    LIST_BOOKINGS("GET /v1/bookings?eventId="),
    CANCEL_BOOKING("DELETE /v1/bookings/{id}"),
    CHECK_IN("POST /v1/bookings/{id}/check-in");

    final String call;

    Op(String call) {
      this.call = call;
    }
  }

  /** The matrix: per operation the status for ADMIN, TRAINER, OTHER_TRAINER, MEMBER, OTHER_MEMBER; NONE is 401. */
  static Stream<Arguments> matrix() {
    List<Arguments> rows = new ArrayList<>();
    //                                           ADMIN TRAINER OTHER_TR MEMBER OTHER_M
    add(rows, Op.CREATE_MEMBER, /*             */ 201, 403, 403, 403, 403);
    add(rows, Op.GET_MEMBER, /*                */ 200, 200, 200, 200, 404);
    add(rows, Op.GET_ME, /*                    */ 200, 200, 200, 200, 200);
    add(rows, Op.LIST_MEMBERS, /*              */ 200, 200, 200, 403, 403);
    add(rows, Op.PATCH_MEMBER_NAME, /*         */ 200, 403, 403, 200, 404);
    add(rows, Op.PATCH_MEMBER_PHONE, /*        */ 200, 403, 403, 200, 404);
    add(rows, Op.PATCH_MEMBER_ROLE, /*         */ 200, 403, 403, 403, 404);
    add(rows, Op.PATCH_MEMBER_STATUS, /*       */ 200, 403, 403, 403, 404);
    add(rows, Op.CREATE_EVENT, /*              */ 201, 403, 403, 403, 403);
    add(rows, Op.LIST_EVENTS, /*               */ 200, 200, 200, 200, 200);
    add(rows, Op.GET_EVENT, /*                 */ 200, 200, 200, 200, 200);
    add(rows, Op.PATCH_EVENT, /*               */ 200, 403, 403, 403, 403);
    add(rows, Op.CANCEL_EVENT, /*              */ 200, 403, 403, 403, 403);
    add(rows, Op.GET_ROSTER, /*                */ 200, 200, 403, 403, 403);
    add(rows, Op.BOOK_FOR_MEMBER, /*           */ 201, 201, 201, 201, 403);
    add(rows, Op.BOOK_FOR_SELF, /*             */ 201, 201, 201, 201, 201);
    add(rows, Op.GET_BOOKING, /*               */ 200, 200, 200, 200, 404);
    add(rows, Op.LIST_BOOKINGS, /*             */ 200, 200, 200, 200, 200);
    add(rows, Op.CANCEL_BOOKING, /*            */ 200, 403, 403, 200, 404);
    add(rows, Op.CHECK_IN, /*                  */ 200, 200, 403, 403, 403);
    return rows.stream();
  }

  private static void add(List<Arguments> rows, Op op, int admin, int trainer, int otherTrainer, int member,
                          int otherMember) {
    int[] expected = {admin, trainer, otherTrainer, member, otherMember, 401};
    for (Who who : Who.values()) {
      int status = expected[who.ordinal()];
      rows.add(Arguments.of(op.call + " as " + who + " -> " + status, op, who, status));
    }
  }

  /** A trainer who trains none of the rows' events. */
  private Person otherTrainer;

  @BeforeAll
  void createOtherTrainer() {
    otherTrainer = createPerson(admin.token(), "trainer");
  }

  /** Fresh resources for one row: the resource's member, an unrelated member, an event of {@link #trainer}. */
  private final class Row {
    final Person owner = member();
    final Person other = member();
    final JsonObject event = createEvent(new JsonObject().put("capacity", 10).put("waitlistCapacity", 2)
        .put("trainerId", trainer.id()));
    final String eventId = event.getString("id");
    String ownerBooking;
    String otherBooking;

    Person caller(Who who) {
      return switch (who) {
        case ADMIN -> admin;
        case TRAINER -> trainer;
        case OTHER_TRAINER -> otherTrainer;
        case MEMBER -> owner;
        case OTHER_MEMBER -> other;
        case NONE -> null;
      };
    }

    String bookOwner() {
      ownerBooking = created(book(owner, eventId));
      return ownerBooking;
    }

    String bookOther() {
      otherBooking = created(book(other, eventId));
      return otherBooking;
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("matrix")
  void callerGetsTheStatusApiMdImplies(String label, Op op, Who who, int expected) {
    Row row = new Row();
    Person caller = row.caller(who);
    String token = caller == null ? null : caller.token();
    String memberPath = "/v1/members/" + row.owner.id();
    String eventPath = "/v1/events/" + row.eventId;

    switch (op) {
      case CREATE_MEMBER -> {
        String email = "matrix-" + UUID.randomUUID() + "@example.com";
        Api.Res res = api.post("/v1/members", token, new JsonObject().put("email", email).put("name", "New one"));
        check(res, expected);
        assertThat(db.count("SELECT count(*) FROM members WHERE email = ?", email)).isEqualTo(expected == 201 ? 1 : 0);
        if (expected == 201) {
          assertThat(res.json().getString("email")).isEqualTo(email);
          assertThat(res.header("Location")).isEqualTo("/v1/members/" + res.json().getString("id"));
        }
      }
      case GET_MEMBER -> {
        Api.Res res = api.get(memberPath, token);
        check(res, expected);
        if (expected == 200) {
          assertThat(res.json().getString("id")).isEqualTo(row.owner.id());
          // the whole member for admins and the member itself; a trainer gets its summary
          boolean whole = who == Who.ADMIN || who == Who.MEMBER;
          assertThat(res.json().getString("email")).isEqualTo(whole ? row.owner.json().getString("email") : null);
          if (!whole) {
            assertThat(res.json().fieldNames()).containsExactlyInAnyOrder("id", "name", "status");
          }
        }
      }
      case GET_ME -> {
        Api.Res res = api.get("/v1/members/me", token);
        check(res, expected);
        if (expected == 200) {
          assertThat(res.json().getString("id")).isEqualTo(caller.id());
          assertThat(res.json().getString("subject")).isEqualTo(caller.subject());
        }
      }
      case LIST_MEMBERS -> {
        Api.Res res = api.get("/v1/members?limit=100", token);
        check(res, expected);
        if (expected == 200) {
          assertThat(res.items()).isNotEmpty();
          assertThat(res.json().containsKey("nextCursor")).isTrue();
        }
      }
      case PATCH_MEMBER_NAME -> {
        String name = "Renamed " + UUID.randomUUID();
        check(api.patch(memberPath, token, new JsonObject().put("name", name)), expected);
        assertThat(db.count("SELECT count(*) FROM members WHERE id = ? AND name = ?", uuid(row.owner.id()), name))
            .isEqualTo(expected == 200 ? 1 : 0);
      }
      case PATCH_MEMBER_PHONE -> {
        String phone = "+4412345" + (100000 + (int) (Math.random() * 899999));
        check(api.patch(memberPath, token, new JsonObject().put("phone", phone)), expected);
        assertThat(db.count("SELECT count(*) FROM members WHERE id = ? AND phone = ?", uuid(row.owner.id()), phone))
            .isEqualTo(expected == 200 ? 1 : 0);
      }
      case PATCH_MEMBER_ROLE -> {
        // The member itself asks for more power; the name in the same body must not be applied either.
        String name = "Promoted " + UUID.randomUUID();
        check(api.patch(memberPath, token, new JsonObject().put("role", "admin").put("name", name)), expected);
        assertThat(db.count("SELECT count(*) FROM members WHERE id = ? AND role = 'admin' AND name = ?",
            uuid(row.owner.id()), name)).isEqualTo(expected == 200 ? 1 : 0);
        assertThat(db.count("SELECT count(*) FROM members WHERE id = ? AND role = 'member'", uuid(row.owner.id())))
            .isEqualTo(expected == 200 ? 0 : 1);
      }
      case PATCH_MEMBER_STATUS -> {
        check(api.patch(memberPath, token, new JsonObject().put("status", "suspended")), expected);
        assertThat(db.count("SELECT count(*) FROM members WHERE id = ? AND status = 'suspended'",
            uuid(row.owner.id()))).isEqualTo(expected == 200 ? 1 : 0);
      }
      case CREATE_EVENT -> {
        String title = "Matrix " + UUID.randomUUID();
        JsonObject body = new JsonObject().put("title", title).put("startsAt", row.event.getString("startsAt"))
            .put("endsAt", row.event.getString("endsAt")).put("capacity", 5);
        Api.Res res = api.post("/v1/events", token, body);
        check(res, expected);
        assertThat(db.count("SELECT count(*) FROM events WHERE title = ?", title)).isEqualTo(expected == 201 ? 1 : 0);
        if (expected == 201) {
          assertThat(res.header("Location")).isEqualTo("/v1/events/" + res.json().getString("id"));
        }
      }
      case LIST_EVENTS -> {
        Api.Res res = api.get("/v1/events?limit=100", token);
        check(res, expected);
        if (expected == 200) {
          assertThat(res.items()).isNotEmpty();
          assertThat(res.json().containsKey("nextCursor")).isTrue();
        }
      }
      case GET_EVENT -> {
        Api.Res res = api.get(eventPath, token);
        check(res, expected);
        if (expected == 200) {
          assertThat(res.json().getString("id")).isEqualTo(row.eventId);
          assertThat(res.json().getString("trainerId")).isEqualTo(trainer.id());
        }
      }
      case PATCH_EVENT -> {
        String title = "Changed " + UUID.randomUUID();
        check(api.patch(eventPath, token, new JsonObject().put("title", title)), expected);
        assertThat(db.count("SELECT count(*) FROM events WHERE id = ? AND title = ?", uuid(row.eventId), title))
            .isEqualTo(expected == 200 ? 1 : 0);
      }
      case CANCEL_EVENT -> {
        String booking = row.bookOwner();
        Api.Res res = api.call("POST", eventPath + "/cancel").token(token).send();
        check(res, expected);
        boolean done = expected == 200;
        if (done) {
          assertThat(res.json().getString("status")).isEqualTo("cancelled");
        }
        assertThat(db.count("SELECT count(*) FROM events WHERE id = ? AND status = 'cancelled'", uuid(row.eventId)))
            .isEqualTo(done ? 1 : 0);
        assertThat(db.count("SELECT count(*) FROM bookings WHERE id = ? AND status = 'cancelled'", uuid(booking)))
            .isEqualTo(done ? 1 : 0);
      }
      case GET_ROSTER -> {
        String booking = row.bookOwner();
        Api.Res res = api.get(eventPath + "/roster", token);
        check(res, expected);
        if (expected == 200) {
          assertThat(res.json().getJsonObject("event").getString("id")).isEqualTo(row.eventId);
          JsonArray confirmed = res.json().getJsonArray("confirmed");
          assertThat(confirmed.size()).isEqualTo(1);
          assertThat(confirmed.getJsonObject(0).encode()).contains(booking);
        }
      }
      case BOOK_FOR_MEMBER -> {
        Api.Res res = api.post("/v1/bookings", token,
            new JsonObject().put("eventId", row.eventId).put("memberId", row.owner.id()));
        check(res, expected);
        assertThat(db.count("SELECT count(*) FROM bookings WHERE event_id = ? AND member_id = ?", uuid(row.eventId),
            uuid(row.owner.id()))).isEqualTo(expected == 201 ? 1 : 0);
        if (expected == 201) {
          assertThat(res.json().getString("memberId")).isEqualTo(row.owner.id());
          assertThat(res.json().getString("status")).isEqualTo("confirmed");
          assertThat(res.header("Location")).isEqualTo("/v1/bookings/" + res.json().getString("id"));
        }
      }
      case BOOK_FOR_SELF -> {
        Api.Res res = api.post("/v1/bookings", token, new JsonObject().put("eventId", row.eventId));
        check(res, expected);
        assertThat(db.count("SELECT count(*) FROM bookings WHERE event_id = ?", uuid(row.eventId)))
            .isEqualTo(expected == 201 ? 1 : 0);
        if (expected == 201) {
          assertThat(res.json().getString("memberId")).isEqualTo(caller.id());
        }
      }
      case GET_BOOKING -> {
        String booking = row.bookOwner();
        Api.Res res = api.get("/v1/bookings/" + booking, token);
        check(res, expected);
        if (expected == 200) {
          assertThat(res.json().getString("id")).isEqualTo(booking);
          assertThat(res.json().getString("memberId")).isEqualTo(row.owner.id());
        }
      }
      case LIST_BOOKINGS -> {
        String mine = row.bookOwner();
        String theirs = row.bookOther();
        Api.Res res = api.get("/v1/bookings?limit=100&eventId=" + row.eventId, token);
        check(res, expected);
        if (expected == 200) {
          Set<String> ids = ids(res.items());
          Set<String> members = res.items().stream().map(o -> ((JsonObject) o).getString("memberId"))
              .collect(Collectors.toSet());
          switch (who) {
            case MEMBER -> {
              assertThat(ids).containsExactly(mine);
              assertThat(members).containsExactly(row.owner.id());
            }
            case OTHER_MEMBER -> {
              assertThat(ids).containsExactly(theirs);
              assertThat(members).containsExactly(row.other.id());
            }
            default -> assertThat(ids).containsExactlyInAnyOrder(mine, theirs);
          }
        }
        if (who == Who.MEMBER) {
          // Asking for another member's bookings by memberId reveals nothing either.
          Api.Res probing = api.get("/v1/bookings?limit=100&memberId=" + row.other.id(), token);
          assertThat(probing.status()).as(probing.toString()).isEqualTo(200);
          assertThat(ids(probing.items())).doesNotContain(theirs);
          probing.items().forEach(o -> assertThat(((JsonObject) o).getString("memberId")).isEqualTo(row.owner.id()));
        }
      }
      case CANCEL_BOOKING -> {
        String booking = row.bookOwner();
        Api.Res res = api.delete("/v1/bookings/" + booking, token);
        check(res, expected);
        if (expected == 200) {
          assertThat(res.json().getString("status")).isEqualTo("cancelled");
        }
        assertThat(db.count("SELECT count(*) FROM bookings WHERE id = ? AND status = 'cancelled'", uuid(booking)))
            .isEqualTo(expected == 200 ? 1 : 0);
      }
      case CHECK_IN -> {
        String booking = row.bookOwner();
        Api.Res res = api.call("POST", "/v1/bookings/" + booking + "/check-in").token(token).send();
        check(res, expected);
        if (expected == 200) {
          assertThat(res.json().getString("status")).isEqualTo("attended");
        }
        assertThat(db.count("SELECT count(*) FROM bookings WHERE id = ? AND status = 'attended'", uuid(booking)))
            .isEqualTo(expected == 200 ? 1 : 0);
      }
    }
  }

  @Test
  void getMeWithATokenLinkedToNoMemberIs404() {
    String unlinked = issuer.token("unlinked-" + UUID.randomUUID(), "member");
    assertProblem(api.get("/v1/members/me", unlinked), 404, "not_found");
  }

  @Test
  void aMemberProbingAnUnknownIdGetsTheSame404AsForAnotherMembersResource() {
    Person someone = member();
    String missing = UUID.randomUUID().toString();
    assertProblem(api.get("/v1/members/" + missing, someone.token()), 404, "not_found");
    assertProblem(api.patch("/v1/members/" + missing, someone.token(), new JsonObject().put("name", "x")), 404,
        "not_found");
    assertProblem(api.get("/v1/bookings/" + missing, someone.token()), 404, "not_found");
    assertProblem(api.delete("/v1/bookings/" + missing, someone.token()), 404, "not_found");
  }

  // ---------------------------------------------------------------- helpers

  /** Asserts the status; for errors also problem+json with the code openapi.yaml gives that status here. */
  private static void check(Api.Res res, int expected) {
    switch (expected) {
      case 401 -> {
        assertProblem(res, 401, "unauthenticated");
        assertThat(res.header("WWW-Authenticate")).isNotNull().startsWith("Bearer");
      }
      case 403 -> assertProblem(res, 403, "forbidden");
      case 404 -> assertProblem(res, 404, "not_found");
      default -> {
        assertThat(res.status()).as(res.toString()).isEqualTo(expected);
        assertThat(res.contentType()).startsWith("application/json");
      }
    }
  }

  private static String created(Api.Res res) {
    assertThat(res.status()).as(res.toString()).isEqualTo(201);
    return res.json().getString("id");
  }

  private static UUID uuid(String id) {
    return UUID.fromString(id);
  }

  private static Set<String> ids(JsonArray items) {
    return items.stream().map(o -> ((JsonObject) o).getString("id")).collect(Collectors.toSet());
  }
}
