package webhooks;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import support.Api;
import support.ApiTestBase;

import java.util.Base64;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Managing webhook endpoints through the API: admins only, URLs checked, secrets shown once. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebhooksApiTest extends ApiTestBase {

  @Override
  protected Map<String, String> serviceSettings() {
    return Map.of("ROSTER_WEBHOOKS_ALLOWED_HOSTS", "127.0.0.1");
  }

  private Api.Res create(String url, String... types) {
    return api.post("/v1/webhooks", admin.token(), new JsonObject().put("url", url)
        .put("eventTypes", new JsonArray(java.util.List.of((Object[]) types))).put("description", "Partner CRM"));
  }

  @Test
  void createShowsTheSecretOnceAndNeverAgain() {
    Api.Res created = create("http://127.0.0.1:9/hooks", "booking.confirmed", "booking.cancelled");
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    JsonObject body = created.json();
    String secret = body.getString("secret");
    assertThat(secret).startsWith("whsec_");
    assertThat(Base64.getDecoder().decode(secret.substring("whsec_".length()))).hasSize(32);
    assertThat(body.getString("url")).isEqualTo("http://127.0.0.1:9/hooks");
    assertThat(body.getJsonArray("eventTypes")).containsExactly("booking.confirmed", "booking.cancelled");
    assertThat(body.getBoolean("enabled")).isTrue();
    assertThat(body.getString("description")).isEqualTo("Partner CRM");
    assertThat(body.getString("createdAt")).isNotBlank();
    assertThat(created.header("Location")).isEqualTo("/v1/webhooks/" + body.getString("id"));

    Api.Res got = api.get("/v1/webhooks/" + body.getString("id"), admin.token());
    assertThat(got.status()).isEqualTo(200);
    assertThat(got.json().containsKey("secret")).isFalse();
    assertThat(got.raw().body()).doesNotContain(secret.substring(6));

    Api.Res list = api.get("/v1/webhooks?limit=100", admin.token());
    assertThat(list.status()).isEqualTo(200);
    assertThat(list.raw().body()).contains(body.getString("id")).doesNotContain(secret.substring(6));
  }

  @Test
  void listIsCursorPaged() {
    for (int i = 0; i < 3; i++) {
      assertThat(create("http://127.0.0.1:9/page" + i, "member.created").status()).isEqualTo(201);
    }
    Api.Res first = api.get("/v1/webhooks?limit=2", admin.token());
    assertThat(first.items()).hasSize(2);
    String cursor = first.json().getString("nextCursor");
    assertThat(cursor).isNotNull();
    Api.Res second = api.get("/v1/webhooks?limit=100&cursor=" + cursor, admin.token());
    assertThat(second.items()).isNotEmpty();
    assertThat(second.json().getString("nextCursor")).isNull();
    assertThat(second.raw().body()).doesNotContain(first.items().getJsonObject(0).getString("id"));
  }

  @Test
  void patchChangesFieldsAndDeleteRemoves() {
    String id = create("http://127.0.0.1:9/a", "event.created").json().getString("id");
    Api.Res patched = api.patch("/v1/webhooks/" + id, admin.token(), new JsonObject().put("enabled", false)
        .put("eventTypes", new JsonArray().add("event.updated")));
    assertThat(patched.status()).as(patched.toString()).isEqualTo(200);
    assertThat(patched.json().getBoolean("enabled")).isFalse();
    assertThat(patched.json().getJsonArray("eventTypes")).containsExactly("event.updated");
    assertThat(patched.json().getString("url")).isEqualTo("http://127.0.0.1:9/a");

    assertProblem(api.patch("/v1/webhooks/" + id, admin.token(), new JsonObject().put("url", "http://10.1.2.3/")),
        400, "webhook_url_not_allowed");
    assertThat(api.get("/v1/webhooks/" + id, admin.token()).json().getString("url")).isEqualTo("http://127.0.0.1:9/a");

    assertThat(api.delete("/v1/webhooks/" + id, admin.token()).status()).isEqualTo(204);
    assertProblem(api.get("/v1/webhooks/" + id, admin.token()), 404, "not_found");
    assertProblem(api.delete("/v1/webhooks/" + id, admin.token()), 404, "not_found");
  }

  @Test
  void rotateGivesANewSecret() {
    JsonObject created = create("http://127.0.0.1:9/r", "booking.confirmed").json();
    Api.Res rotated = api.post("/v1/webhooks/" + created.getString("id") + "/rotate-secret", admin.token(), null);
    assertThat(rotated.status()).as(rotated.toString()).isEqualTo(200);
    assertThat(rotated.json().getString("secret")).startsWith("whsec_").isNotEqualTo(created.getString("secret"));
  }

  @Test
  void privateLoopbackMetadataAndOddUrlsAreRefused() {
    for (String url : new String[] {"http://10.0.0.7/", "http://192.168.1.1/", "http://172.16.0.1/",
        "http://169.254.169.254/latest/meta-data", "http://100.64.0.1/", "http://[::1]/", "http://[fd00::1]/",
        "http://127.0.0.2/", "http://224.0.0.1/", "http://0.0.0.0/", "ftp://example.com/",
        "http://user:pw@127.0.0.1/", "not a url", "http://host.invalid/"}) {
      Api.Res res = create(url, "booking.confirmed");
      assertProblem(res, 400, "webhook_url_not_allowed");
      assertThat(errorFields(res)).containsExactly("url");
    }
    // nothing half-written
    assertThat(api.get("/v1/webhooks?limit=100", admin.token()).raw().body()).doesNotContain("10.0.0.7");
  }

  @Test
  void unknownEventTypeIsAValidationError() {
    Api.Res res = create("http://127.0.0.1:9/", "booking.exploded");
    assertProblem(res, 400, "validation_failed");
  }

  @Test
  void nonAdminsAreForbidden() {
    Person member = member();
    String id = create("http://127.0.0.1:9/f", "booking.confirmed").json().getString("id");
    for (Person who : new Person[] {member, trainer}) {
      assertProblem(api.post("/v1/webhooks", who.token(), new JsonObject().put("url", "http://127.0.0.1:9/")
          .put("eventTypes", new JsonArray().add("booking.confirmed"))), 403, "forbidden");
      assertProblem(api.get("/v1/webhooks", who.token()), 403, "forbidden");
      assertProblem(api.get("/v1/webhooks/" + id, who.token()), 403, "forbidden");
      assertProblem(api.delete("/v1/webhooks/" + id, who.token()), 403, "forbidden");
      assertProblem(api.post("/v1/webhooks/" + id + "/rotate-secret", who.token(), null), 403, "forbidden");
      assertProblem(api.get("/v1/webhooks/" + id + "/deliveries", who.token()), 403, "forbidden");
    }
  }

  @Test
  void theSecretIsNotKeptWithAnIdempotencyKeyAndAReplayAnswersTheCurrentOne() {
    JsonObject body = new JsonObject().put("url", "http://127.0.0.1:9/idem")
        .put("eventTypes", new JsonArray().add("booking.confirmed"));
    Api.Res created = idempotent("/v1/webhooks", "create-1", body);
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    String id = created.json().getString("id");
    String secret = created.json().getString("secret");
    assertThat(secret).startsWith("whsec_");
    assertThat(storedContaining(secret)).as("keys holding the created secret").isZero();
    assertThat(db.count("SELECT count(*) FROM idempotency_keys WHERE response_body::jsonb->>'id' = ?", id))
        .as("the creation's answer is kept").isEqualTo(1);

    // a replay: the same answer, the secret read from the endpoint
    Api.Res replayed = idempotent("/v1/webhooks", "create-1", body);
    assertThat(replayed.status()).isEqualTo(201);
    assertThat(replayed.header("Idempotent-Replayed")).isEqualTo("true");
    assertThat(replayed.header("Location")).isEqualTo("/v1/webhooks/" + id);
    assertThat(replayed.json()).isEqualTo(created.json());
    assertThat(db.count("SELECT count(*) FROM webhook_endpoints WHERE url = 'http://127.0.0.1:9/idem'"))
        .as("endpoints created").isEqualTo(1);

    Api.Res rotated = idempotent("/v1/webhooks/" + id + "/rotate-secret", "rotate-1", null);
    assertThat(rotated.status()).as(rotated.toString()).isEqualTo(200);
    String next = rotated.json().getString("secret");
    assertThat(next).startsWith("whsec_").isNotEqualTo(secret);
    assertThat(storedContaining(next)).as("keys holding the rotated secret").isZero();
    Api.Res rotatedAgain = idempotent("/v1/webhooks/" + id + "/rotate-secret", "rotate-1", null);
    assertThat(rotatedAgain.header("Idempotent-Replayed")).isEqualTo("true");
    assertThat(rotatedAgain.json()).as("a replay does not rotate again").isEqualTo(rotated.json());
    assertThat(db.strings("SELECT previous_secret FROM webhook_endpoints WHERE id = ?::uuid", id))
        .containsExactly(secret);

    // the creation's replay now answers the secret that signs now
    Api.Res createdLater = idempotent("/v1/webhooks", "create-1", body);
    assertThat(createdLater.status()).isEqualTo(201);
    assertThat(createdLater.json().getString("secret")).isEqualTo(next);
    System.out.println("WebhooksApiTest: idempotency keys holding a secret: "
        + (storedContaining(secret) + storedContaining(next)) + " of "
        + db.count("SELECT count(*) FROM idempotency_keys"));

    // once deleted, there is no secret to answer
    assertThat(api.delete("/v1/webhooks/" + id, admin.token()).status()).isEqualTo(204);
    assertProblem(idempotent("/v1/webhooks", "create-1", body), 404, "not_found");
  }

  private Api.Res idempotent(String path, String key, JsonObject body) {
    Api.Call call = api.call("POST", path).token(admin.token()).header("Idempotency-Key", key);
    return (body == null ? call : call.json(body)).send();
  }

  /** Idempotency records holding the secret, or its key material, anywhere in the row. */
  private long storedContaining(String secret) {
    return db.count("SELECT count(*) FROM idempotency_keys k WHERE strpos(k::text, ?) > 0 OR strpos(k::text, ?) > 0",
        secret, secret.substring("whsec_".length()));
  }
}
