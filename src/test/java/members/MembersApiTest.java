package members;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import support.Api;
import support.ApiTestBase;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The Members operations of openapi.yaml: create, get, me, list and update, with every error code. */
class MembersApiTest extends ApiTestBase {

  private static final List<String> MEMBER_FIELDS = List.of("id", "email", "name", "phone", "role", "status",
      "subject", "channels", "pushToken", "createdAt", "updatedAt");
  private static final Pattern UTC = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?Z");
  private static final Pattern UUID_TEXT =
      Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

  // ----- create ---------------------------------------------------------------------------------

  @Test
  void createReturns201WithLocationAndEveryField() {
    String subject = "sub-" + UUID.randomUUID();
    String email = "ada-" + UUID.randomUUID() + "@example.com";
    JsonObject body = new JsonObject().put("email", email).put("name", "Ada Lovelace").put("phone", "+441234567890")
        .put("role", "trainer").put("subject", subject).put("channels", new JsonArray().add("email").add("sms"))
        .put("pushToken", "fcm-token-abc123");
    Instant before = Instant.now();

    Api.Res res = api.post("/v1/members", admin.token(), body);

    assertThat(res.status()).as(res.toString()).isEqualTo(201);
    assertThat(res.contentType()).startsWith("application/json");
    JsonObject m = res.json();
    assertMemberShape(m);
    assertThat(m.getString("id")).matches(UUID_TEXT);
    assertThat(m.getString("email")).isEqualTo(email);
    assertThat(m.getString("name")).isEqualTo("Ada Lovelace");
    assertThat(m.getString("phone")).isEqualTo("+441234567890");
    assertThat(m.getString("role")).isEqualTo("trainer");
    assertThat(m.getString("status")).isEqualTo("active");
    assertThat(m.getString("subject")).isEqualTo(subject);
    assertThat(m.getJsonArray("channels")).isEqualTo(new JsonArray().add("email").add("sms"));
    assertThat(m.getString("pushToken")).isEqualTo("fcm-token-abc123");
    assertRecent(m.getString("createdAt"), before);
    assertRecent(m.getString("updatedAt"), before);
    assertThat(res.header("Location")).isNotNull().endsWith("/v1/members/" + m.getString("id"));

    assertThat(db.count("SELECT count(*) FROM members WHERE id = ?::uuid AND email = ? AND role = 'trainer' "
        + "AND subject = ? AND channels = '{email,sms}' AND push_token = 'fcm-token-abc123'",
        m.getString("id"), email, subject)).isEqualTo(1);

    // the Location names the member just created
    String location = res.header("Location");
    Api.Res fetched = api.get(location.substring(location.indexOf("/v1/")), admin.token());
    assertThat(fetched.status()).as(fetched.toString()).isEqualTo(200);
    assertThat(fetched.json()).isEqualTo(m);
  }

  @Test
  void createAppliesDefaults() {
    String email = "plain-" + UUID.randomUUID() + "@example.com";
    Api.Res res = api.post("/v1/members", admin.token(), new JsonObject().put("email", email).put("name", "Plain"));

    assertThat(res.status()).as(res.toString()).isEqualTo(201);
    JsonObject m = res.json();
    assertMemberShape(m);
    assertThat(m.getString("role")).isEqualTo("member");
    assertThat(m.getString("status")).isEqualTo("active");
    assertThat(m.getJsonArray("channels")).isEqualTo(new JsonArray().add("email"));
    assertThat(m.getValue("phone")).isNull();
    assertThat(m.getValue("subject")).isNull();
    assertThat(m.getValue("pushToken")).isNull();
    assertThat(db.count("SELECT count(*) FROM members WHERE id = ?::uuid AND role = 'member' AND status = 'active' "
        + "AND channels = '{email}'", m.getString("id"))).isEqualTo(1);
  }

  @Test
  void createWithTakenEmailIs409() {
    String email = "taken-" + UUID.randomUUID() + "@example.com";
    assertThat(api.post("/v1/members", admin.token(), new JsonObject().put("email", email).put("name", "First"))
        .status()).isEqualTo(201);

    Api.Res again = api.post("/v1/members", admin.token(), new JsonObject().put("email", email).put("name", "Second"));

    assertProblem(again, 409, "member_email_taken");
    assertThat(db.count("SELECT count(*) FROM members WHERE lower(email) = lower(?)", email)).isEqualTo(1);
    assertThat(db.count("SELECT count(*) FROM members WHERE name = 'Second' AND lower(email) = lower(?)", email))
        .isZero();
  }

  @Test
  void createWithEmailTakenInAnotherCaseIs409() {
    String local = "case" + UUID.randomUUID().toString().substring(0, 8);
    String upper = "A" + local + "@X.com";
    String lower = "a" + local + "@x.com";
    Api.Res first = api.post("/v1/members", admin.token(), new JsonObject().put("email", upper).put("name", "Upper"));
    assertThat(first.status()).as(first.toString()).isEqualTo(201);

    assertProblem(api.post("/v1/members", admin.token(), new JsonObject().put("email", lower).put("name", "Lower")),
        409, "member_email_taken");
    assertThat(db.count("SELECT count(*) FROM members WHERE lower(email) = ?", lower)).isEqualTo(1);
  }

  @Test
  void createWithTakenSubjectIs409() {
    String subject = "shared-" + UUID.randomUUID();
    Api.Res first = api.post("/v1/members", admin.token(), new JsonObject()
        .put("email", "s1-" + UUID.randomUUID() + "@example.com").put("name", "One").put("subject", subject));
    assertThat(first.status()).as(first.toString()).isEqualTo(201);

    String secondEmail = "s2-" + UUID.randomUUID() + "@example.com";
    Api.Res second = api.post("/v1/members", admin.token(), new JsonObject()
        .put("email", secondEmail).put("name", "Two").put("subject", subject));

    assertProblem(second, 409, "member_subject_taken");
    assertThat(db.count("SELECT count(*) FROM members WHERE subject = ?", subject)).isEqualTo(1);
    assertThat(db.count("SELECT count(*) FROM members WHERE email = ?", secondEmail)).isZero();
  }

  @Test
  void onlyAdminsCreateMembers() {
    Person member = member();
    for (String token : List.of(trainer.token(), member.token())) {
      String email = "nope-" + UUID.randomUUID() + "@example.com";
      assertProblem(api.post("/v1/members", token, new JsonObject().put("email", email).put("name", "Nope")),
          403, "forbidden");
      assertThat(db.count("SELECT count(*) FROM members WHERE email = ?", email)).isZero();
    }
  }

  // ----- get ------------------------------------------------------------------------------------

  @Test
  void getMemberByAdminTrainerAndItself() {
    Person member = member();
    for (String token : List.of(admin.token(), member.token())) {
      Api.Res res = api.get("/v1/members/" + member.id(), token);
      assertThat(res.status()).as(res.toString()).isEqualTo(200);
      assertMemberShape(res.json());
      assertThat(res.json()).isEqualTo(member.json());
    }
    // a trainer gets the summary (MemberPrivacyTest covers what it leaves out)
    Api.Res res = api.get("/v1/members/" + member.id(), trainer.token());
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    assertThat(res.json()).isEqualTo(new JsonObject().put("id", member.id()).put("name", member.json().getString("name"))
        .put("status", "active"));
  }

  @Test
  void anotherMemberGets404() {
    Person member = member();
    Person other = member();

    assertProblem(api.get("/v1/members/" + other.id(), member.token()), 404, "not_found");
    assertProblem(api.get("/v1/members/" + admin.id(), member.token()), 404, "not_found");
  }

  @Test
  void unknownMemberIs404() {
    String unknown = UUID.randomUUID().toString();
    assertProblem(api.get("/v1/members/" + unknown, admin.token()), 404, "not_found");
    assertProblem(api.get("/v1/members/" + unknown, trainer.token()), 404, "not_found");
  }

  // ----- me -------------------------------------------------------------------------------------

  @Test
  void meReturnsTheLinkedMember() {
    Person member = member();

    Api.Res res = api.get("/v1/members/me", member.token());
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    assertMemberShape(res.json());
    assertThat(res.json()).isEqualTo(member.json());

    Api.Res adminMe = api.get("/v1/members/me", admin.token());
    assertThat(adminMe.status()).as(adminMe.toString()).isEqualTo(200);
    assertThat(adminMe.json().getString("id")).isEqualTo(admin.id());
    assertThat(adminMe.json().getString("role")).isEqualTo("admin");
    assertThat(adminMe.json().getString("subject")).isEqualTo(admin.subject());
  }

  @Test
  void meIs404ForATokenLinkedToNoMember() {
    assertProblem(api.get("/v1/members/me", issuer.token("ghost-" + UUID.randomUUID(), "member")), 404, "not_found");
    assertProblem(api.get("/v1/members/me", issuer.token("ghost-admin-" + UUID.randomUUID(), "admin")),
        404, "not_found");
  }

  // ----- update ---------------------------------------------------------------------------------

  @Test
  void memberUpdatesOwnNamePhoneChannelsAndPushToken() {
    Person member = member();
    JsonObject changes = new JsonObject().put("name", "Ada King").put("phone", "+441234567891")
        .put("channels", new JsonArray().add("email").add("push")).put("pushToken", "fcm-token-xyz");

    Api.Res res = api.patch("/v1/members/" + member.id(), member.token(), changes);

    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    JsonObject m = res.json();
    assertMemberShape(m);
    assertThat(m.getString("name")).isEqualTo("Ada King");
    assertThat(m.getString("phone")).isEqualTo("+441234567891");
    assertThat(m.getJsonArray("channels")).isEqualTo(new JsonArray().add("email").add("push"));
    assertThat(m.getString("pushToken")).isEqualTo("fcm-token-xyz");
    // untouched fields stay
    for (String field : List.of("id", "email", "role", "status", "subject", "createdAt")) {
      assertThat(m.getValue(field)).as(field).isEqualTo(member.json().getValue(field));
    }
    assertThat(Instant.parse(m.getString("updatedAt")))
        .isAfterOrEqualTo(Instant.parse(member.json().getString("updatedAt")));
    assertThat(api.get("/v1/members/" + member.id(), admin.token()).json()).isEqualTo(m);
    assertThat(db.count("SELECT count(*) FROM members WHERE id = ?::uuid AND name = 'Ada King' "
        + "AND phone = '+441234567891' AND channels = '{email,push}' AND push_token = 'fcm-token-xyz'",
        member.id())).isEqualTo(1);

    // null clears the nullable fields
    Api.Res cleared = api.patch("/v1/members/" + member.id(), member.token(),
        new JsonObject().putNull("phone").putNull("pushToken"));
    assertThat(cleared.status()).as(cleared.toString()).isEqualTo(200);
    assertThat(cleared.json().getValue("phone")).isNull();
    assertThat(cleared.json().getValue("pushToken")).isNull();
    assertThat(cleared.json().getString("name")).isEqualTo("Ada King");
    assertThat(db.count("SELECT count(*) FROM members WHERE id = ?::uuid AND phone IS NULL AND push_token IS NULL",
        member.id())).isEqualTo(1);
  }

  @Test
  void memberSendingRoleOrStatusGets403AndNothingChanges() {
    Person member = member();
    String path = "/v1/members/" + member.id();

    assertProblem(api.patch(path, member.token(), new JsonObject().put("role", "admin")), 403, "forbidden");
    assertProblem(api.patch(path, member.token(), new JsonObject().put("status", "active")), 403, "forbidden");
    assertProblem(api.patch(path, member.token(), new JsonObject().put("name", "Sneaky").put("role", "trainer")),
        403, "forbidden");

    assertThat(db.count("SELECT count(*) FROM members WHERE id = ?::uuid AND role = 'member' AND status = 'active' "
        + "AND name = ?", member.id(), member.json().getString("name"))).isEqualTo(1);
    assertThat(api.get(path, admin.token()).json()).isEqualTo(member.json());
  }

  @Test
  void anotherMemberPatchingGets404() {
    Person member = member();
    Person other = member();

    assertProblem(api.patch("/v1/members/" + other.id(), member.token(), new JsonObject().put("name", "Hijacked")),
        404, "not_found");
    assertThat(db.count("SELECT count(*) FROM members WHERE id = ?::uuid AND name = 'Hijacked'", other.id()))
        .isZero();
  }

  @Test
  void trainerCannotPatchAnotherMember() {
    Person member = member();
    assertProblem(api.patch("/v1/members/" + member.id(), trainer.token(), new JsonObject().put("name", "Renamed")),
        403, "forbidden");
    assertThat(db.count("SELECT count(*) FROM members WHERE id = ?::uuid AND name = 'Renamed'", member.id()))
        .isZero();
  }

  @Test
  void adminChangesRoleAndStatusAndASuspendedMemberCannotBook() {
    Person member = member();
    String path = "/v1/members/" + member.id();

    Api.Res promoted = api.patch(path, admin.token(), new JsonObject().put("role", "trainer").put("name", "Coach"));
    assertThat(promoted.status()).as(promoted.toString()).isEqualTo(200);
    assertMemberShape(promoted.json());
    assertThat(promoted.json().getString("role")).isEqualTo("trainer");
    assertThat(promoted.json().getString("name")).isEqualTo("Coach");

    Api.Res suspended = api.patch(path, admin.token(), new JsonObject().put("status", "suspended").put("role", "member"));
    assertThat(suspended.status()).as(suspended.toString()).isEqualTo(200);
    assertThat(suspended.json().getString("status")).isEqualTo("suspended");
    assertThat(suspended.json().getString("role")).isEqualTo("member");
    assertThat(db.count("SELECT count(*) FROM members WHERE id = ?::uuid AND status = 'suspended' AND role = 'member'",
        member.id())).isEqualTo(1);

    String eventId = createEvent(5, 0).getString("id");
    assertProblem(book(member, eventId), 403, "member_suspended");
    assertThat(db.count("SELECT count(*) FROM bookings WHERE member_id = ?::uuid", member.id())).isZero();

    Api.Res active = api.patch(path, admin.token(), new JsonObject().put("status", "active"));
    assertThat(active.status()).as(active.toString()).isEqualTo(200);
    assertThat(book(member, eventId).status()).isEqualTo(201);
  }

  @Test
  void patchUnknownMemberIs404() {
    assertProblem(api.patch("/v1/members/" + UUID.randomUUID(), admin.token(), new JsonObject().put("name", "X")),
        404, "not_found");
  }

  // ----- list -----------------------------------------------------------------------------------

  @Test
  void listFiltersByRole() {
    Person t1 = createPerson(admin.token(), "trainer");
    Person t2 = createPerson(admin.token(), "trainer");
    Person m1 = member();

    List<JsonObject> trainers = pageAll("/v1/members?role=trainer&limit=100", admin.token());
    assertThat(trainers).allSatisfy(m -> assertThat(m.getString("role")).isEqualTo("trainer"));
    assertThat(trainers).allSatisfy(MembersApiTest::assertMemberShape);
    assertThat(ids(trainers)).contains(t1.id(), t2.id(), trainer.id()).doesNotContain(m1.id(), admin.id());
    assertThat(ids(trainers)).containsExactlyInAnyOrderElementsOf(dbIds("SELECT id FROM members WHERE role = 'trainer'"));

    List<JsonObject> admins = pageAll("/v1/members?role=admin", trainer.token());
    assertThat(ids(admins)).containsExactlyInAnyOrderElementsOf(dbIds("SELECT id FROM members WHERE role = 'admin'"))
        .contains(admin.id());

    List<JsonObject> all = pageAll("/v1/members?limit=100", admin.token());
    assertThat(ids(all)).containsExactlyInAnyOrderElementsOf(dbIds("SELECT id FROM members"));
    // an item of the list is the member as GET returns it
    JsonObject listed = all.stream().filter(m -> m.getString("id").equals(m1.id())).findFirst().orElseThrow();
    assertThat(listed).isEqualTo(m1.json());
  }

  @Test
  void listPagesWithLimitTwoUntilNextCursorIsNull() {
    for (int i = 0; i < 5; i++) {
      member();
    }
    // five more created in one statement share one created_at: the id must break the tie across pages
    db.update("INSERT INTO members (email, name) SELECT 'tie-' || gen_random_uuid() || '@example.com', 'Tie' "
        + "FROM generate_series(1, 5)");
    List<String> expected = dbIds("SELECT id FROM members WHERE role = 'member'");
    assertThat(expected.size()).isGreaterThanOrEqualTo(10);

    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      Api.Res res = api.get("/v1/members?role=member&limit=2" + (cursor == null ? "" : "&cursor=" + cursor),
          trainer.token());
      assertThat(res.status()).as(res.toString()).isEqualTo(200);
      JsonObject page = res.json();
      assertThat(page.containsKey("nextCursor")).as("nextCursor is always present").isTrue();
      cursor = page.getString("nextCursor");
      List<String> pageIds = ids(page.getJsonArray("items"));
      assertThat(pageIds.size()).isLessThanOrEqualTo(2);
      if (cursor != null) {
        assertThat(pageIds).as("a page that has a next one is full").hasSize(2);
      }
      seen.addAll(pageIds);
      pages++;
      assertThat(pages).as("paging terminates").isLessThan(100);
    } while (cursor != null);

    assertThat(seen).doesNotHaveDuplicates();
    assertThat(seen).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(pages).isEqualTo((expected.size() + 1) / 2);
  }

  @Test
  void listIsStableUnderInserts() {
    for (int i = 0; i < 6; i++) {
      member();
    }
    List<String> existing = dbIds("SELECT id FROM members");
    List<String> seen = new ArrayList<>();
    Set<String> inserted = new HashSet<>();

    Api.Res first = api.get("/v1/members?limit=2", admin.token());
    assertThat(first.status()).as(first.toString()).isEqualTo(200);
    seen.addAll(ids(first.items()));
    String cursor = first.json().getString("nextCursor");
    assertThat(cursor).isNotNull();
    int round = 0;
    while (cursor != null) {
      // rows that sort before the cursor position (older than everything) and a fresh one through the API
      inserted.add(insertOldMember("old-" + round));
      inserted.add(insertOldMember("old-b-" + round));
      inserted.add(member().id());
      round++;
      Api.Res res = api.get("/v1/members?limit=2&cursor=" + cursor, admin.token());
      assertThat(res.status()).as(res.toString()).isEqualTo(200);
      seen.addAll(ids(res.items()));
      cursor = res.json().getString("nextCursor");
      assertThat(round).as("paging terminates").isLessThan(200);
    }

    assertThat(seen).as("no item is listed twice").doesNotHaveDuplicates();
    List<String> seenExisting = seen.stream().filter(id -> !inserted.contains(id)).toList();
    assertThat(seenExisting).as("every member that existed before paging is listed exactly once")
        .containsExactlyInAnyOrderElementsOf(existing);
  }

  @Test
  void defaultLimitIsTwentyAndLimitIsBounded() {
    long have = db.count("SELECT count(*) FROM members");
    if (have < 25) {
      db.update("INSERT INTO members (email, name) SELECT 'bulk-' || gen_random_uuid() || '@example.com', 'Bulk' "
          + "FROM generate_series(1, ?)", (int) (25 - have));
    }
    Api.Res res = api.get("/v1/members", admin.token());
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    assertThat(res.items()).hasSize(20);
    assertThat(res.json().getString("nextCursor")).isNotNull();

    Api.Res hundred = api.get("/v1/members?limit=100", admin.token());
    assertThat(hundred.status()).as(hundred.toString()).isEqualTo(200);
    assertThat(hundred.items().size()).isEqualTo((int) Math.min(100, db.count("SELECT count(*) FROM members")));

    assertProblem(api.get("/v1/members?limit=0", admin.token()), 400, "validation_failed");
    assertProblem(api.get("/v1/members?limit=101", admin.token()), 400, "validation_failed");
    assertProblem(api.get("/v1/members?cursor=not-a-cursor", admin.token()), 400, "validation_failed");
  }

  @Test
  void membersCannotListMembers() {
    assertProblem(api.get("/v1/members", member().token()), 403, "forbidden");
  }

  // ----- helpers --------------------------------------------------------------------------------

  private static void assertMemberShape(JsonObject m) {
    assertThat(m.fieldNames()).as("Member fields of openapi.yaml").containsAll(MEMBER_FIELDS);
    assertThat(m.getString("id")).matches(UUID_TEXT);
    assertThat(m.getString("createdAt")).matches(UTC);
    assertThat(m.getString("updatedAt")).matches(UTC);
    assertThat(m.getString("status")).isIn("active", "suspended");
    assertThat(m.getString("role")).isIn("admin", "trainer", "member");
    assertThat(m.getJsonArray("channels")).isNotEmpty();
    assertThat(Instant.parse(m.getString("updatedAt"))).isAfterOrEqualTo(Instant.parse(m.getString("createdAt")));
  }

  private static void assertRecent(String time, Instant before) {
    assertThat(time).matches(UTC);
    Instant t = Instant.parse(time);
    assertThat(t).isBetween(before.minus(Duration.ofMinutes(2)), Instant.now().plus(Duration.ofMinutes(2)));
  }

  private List<JsonObject> pageAll(String path, String token) {
    List<JsonObject> all = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      Api.Res res = api.get(path + (cursor == null ? "" : (path.contains("?") ? "&" : "?") + "cursor=" + cursor), token);
      assertThat(res.status()).as(res.toString()).isEqualTo(200);
      res.items().forEach(o -> all.add((JsonObject) o));
      cursor = res.json().getString("nextCursor");
      assertThat(++pages).isLessThan(1000);
    } while (cursor != null);
    return all;
  }

  private static List<String> ids(List<JsonObject> items) {
    return items.stream().map(o -> o.getString("id")).toList();
  }

  private static List<String> ids(JsonArray items) {
    List<String> out = new ArrayList<>();
    items.forEach(o -> out.add(((JsonObject) o).getString("id")));
    return out;
  }

  private String insertOldMember(String label) {
    String email = label + "-" + UUID.randomUUID() + "@example.com";
    db.update("INSERT INTO members (email, name, created_at, updated_at) "
        + "VALUES (?, 'Backdated', now() - interval '10 years', now() - interval '10 years')", email);
    List<String> id = dbIds("SELECT id FROM members WHERE email = ?", email);
    assertThat(id).hasSize(1);
    return id.get(0);
  }

  private List<String> dbIds(String sql, Object... params) {
    try (Connection c = db.connect(); var st = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        st.setObject(i + 1, params[i]);
      }
      List<String> out = new ArrayList<>();
      try (var rs = st.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
