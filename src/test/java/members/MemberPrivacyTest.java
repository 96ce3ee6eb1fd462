package members;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import support.Api;
import support.ApiTestBase;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A member's private data (e-mail, phone, push token, the OpenID Connect subject) is shown only to admins and to
 * the member itself. Trainers see other members as summaries (id, name, status), and so does every roster. Each
 * role is asked for every view of the member that it may reach, and the raw bodies are searched for the private
 * values, so a field that leaks under another name is caught too.
 */
class MemberPrivacyTest extends ApiTestBase {

  private static final Set<String> SUMMARY = Set.of("id", "name", "status");

  private Person ada;
  private String phone;
  private String pushToken;
  private String eventId;

  @BeforeAll
  void adaWithEverythingSetAndBooked() {
    ada = member();
    phone = "+4420" + (System.nanoTime() % 100_000_000L + 100_000_000L);
    pushToken = "fcm-" + java.util.UUID.randomUUID() + "-device";
    Api.Res res = api.patch("/v1/members/" + ada.id(), admin.token(), new JsonObject().put("phone", phone)
        .put("pushToken", pushToken).put("channels", new JsonArray().add("email").add("sms").add("push")));
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    eventId = createEvent(new JsonObject().put("capacity", 5).put("trainerId", trainer.id())).getString("id");
    assertThat(book(ada, eventId).status()).isEqualTo(201);
  }

  /** The values only admins and Ada herself may see. */
  private List<String> privateValues() {
    return List.of(ada.json().getString("email"), phone, pushToken, ada.subject());
  }

  @Test
  void aTrainerSeesAnotherMembersSummaryOnly() {
    Api.Res res = api.get("/v1/members/" + ada.id(), trainer.token());
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    assertThat(res.json().fieldNames()).isEqualTo(SUMMARY);
    assertThat(res.json()).isEqualTo(new JsonObject().put("id", ada.id()).put("name", "Test member")
        .put("status", "active"));
    assertNoPrivateValue(res);
  }

  @Test
  void aTrainerListsSummariesOnly() {
    for (String query : List.of("", "?role=member", "?limit=100")) {
      Api.Res res = api.get("/v1/members" + query, trainer.token());
      assertThat(res.status()).as(res.toString()).isEqualTo(200);
      assertThat(res.items()).isNotEmpty();
      res.items().forEach(item -> assertThat(((JsonObject) item).fieldNames()).as(query).isEqualTo(SUMMARY));
      assertNoPrivateValue(res);
    }
  }

  @Test
  void rostersShowSummariesToAdminsAndTrainers() {
    for (String token : List.of(admin.token(), trainer.token())) {
      Api.Res res = api.get("/v1/events/" + eventId + "/roster", token);
      assertThat(res.status()).as(res.toString()).isEqualTo(200);
      JsonObject entry = res.json().getJsonArray("confirmed").getJsonObject(0);
      assertThat(entry.getString("memberId")).isEqualTo(ada.id());
      assertThat(entry.getJsonObject("member").fieldNames()).isEqualTo(SUMMARY);
      assertThat(entry.getJsonObject("member").getString("id")).isEqualTo(ada.id());
      assertNoPrivateValue(res);
    }
  }

  @Test
  void nothingElseATrainerReadsShowsThem() {
    for (String path : List.of("/v1/bookings?eventId=" + eventId, "/v1/bookings?memberId=" + ada.id(),
        "/v1/events/" + eventId)) {
      Api.Res res = api.get(path, trainer.token());
      assertThat(res.status()).as(path + ": " + res).isEqualTo(200);
      assertNoPrivateValue(res);
    }
  }

  @Test
  void theMemberItselfSeesEverything() {
    for (String path : List.of("/v1/members/me", "/v1/members/" + ada.id())) {
      Api.Res res = api.get(path, ada.token());
      assertThat(res.status()).as(res.toString()).isEqualTo(200);
      assertWhole(res.json());
    }
    Api.Res patched = api.patch("/v1/members/" + ada.id(), ada.token(), new JsonObject().put("name", "Test member"));
    assertThat(patched.status()).as(patched.toString()).isEqualTo(200);
    assertWhole(patched.json());
  }

  @Test
  void aTrainerSeesItselfWhole() {
    for (String path : List.of("/v1/members/me", "/v1/members/" + trainer.id())) {
      Api.Res res = api.get(path, trainer.token());
      assertThat(res.status()).as(res.toString()).isEqualTo(200);
      assertThat(res.json().getString("subject")).isEqualTo(trainer.subject());
      assertThat(res.json().getString("email")).isEqualTo(trainer.json().getString("email"));
    }
  }

  @Test
  void adminsSeeEverything() {
    assertWhole(api.get("/v1/members/" + ada.id(), admin.token()).json());
    Api.Res list = api.get("/v1/members?limit=100", admin.token());
    JsonObject listed = list.items().stream().map(JsonObject.class::cast)
        .filter(m -> m.getString("id").equals(ada.id())).findFirst().orElseThrow();
    assertWhole(listed);
  }

  @Test
  void anotherMemberSeesNothing() {
    Person other = member();
    Api.Res res = api.get("/v1/members/" + ada.id(), other.token());
    assertProblem(res, 404, "not_found");
    assertNoPrivateValue(res);
    assertProblem(api.get("/v1/members", other.token()), 403, "forbidden");
    assertProblem(api.get("/v1/events/" + eventId + "/roster", other.token()), 403, "forbidden");
  }

  private void assertWhole(JsonObject member) {
    assertThat(member.getString("email")).isEqualTo(ada.json().getString("email"));
    assertThat(member.getString("phone")).isEqualTo(phone);
    assertThat(member.getString("pushToken")).isEqualTo(pushToken);
    assertThat(member.getString("subject")).isEqualTo(ada.subject());
  }

  private void assertNoPrivateValue(Api.Res res) {
    for (String value : privateValues()) {
      assertThat(res.raw().body()).as("a private value of the member in " + res).doesNotContain(value);
    }
  }
}
