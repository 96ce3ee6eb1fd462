package webhooks;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import support.Api;
import support.LogCapture;
import support.NotificationTestBase;
import support.WebhookReceiver;
import support.WebhookReceiver.Answer;
import support.WebhookReceiver.Received;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Webhooks end to end: a change through the API, the outbox, RabbitMQ, the webhook worker, and a real HTTP
 * receiver that checks each signature with its own implementation of the Standard Webhooks spec.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebhookDeliveryTest extends NotificationTestBase {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private final WebhookReceiver receiver = new WebhookReceiver();

  @Override
  protected Map<String, String> notificationSettings() {
    Map<String, String> env = super.notificationSettings();
    env.put("ROSTER_WEBHOOKS_ALLOWED_HOSTS", "127.0.0.1");
    env.put("ROSTER_WEBHOOKS_CONCURRENCY_PER_ENDPOINT", "2");
    env.put("ROSTER_WEBHOOKS_TIMEOUT_MS", "8000");
    return env;
  }

  @AfterAll
  void stopReceiver() {
    receiver.close();
  }

  /** Each test sees only the endpoints it creates. */
  @BeforeEach
  void disableOtherEndpoints() {
    db.update("UPDATE webhook_endpoints SET enabled = false");
  }

  private JsonObject endpoint(String path, String... types) {
    Api.Res res = api.post("/v1/webhooks", admin.token(), new JsonObject().put("url", receiver.url(path))
        .put("eventTypes", new JsonArray(List.of((Object[]) types))));
    assertThat(res.status()).as(res.toString()).isEqualTo(201);
    return res.json();
  }

  private String bookSomeone() {
    JsonObject event = createEvent(10, 5);
    Api.Res booked = book(member(), event.getString("id"));
    assertThat(booked.status()).as(booked.toString()).isEqualTo(201);
    return booked.json().getString("id");
  }

  private List<Received> awaitAt(String path, int n) {
    eventually(WAIT, n + " request(s) at " + path, () -> receiver.at(path).size() >= n);
    return receiver.at(path);
  }

  private JsonArray deliveries(String endpointId) {
    Api.Res res = api.get("/v1/webhooks/" + endpointId + "/deliveries", admin.token());
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    return res.items();
  }

  /** Waits until the endpoint's only delivery has this status, and returns it. */
  private JsonObject awaitDelivery(JsonObject hook, String status) {
    eventually(WAIT, "delivery " + status, () -> {
      JsonArray items = deliveries(hook.getString("id"));
      return items.size() == 1 && status.equals(items.getJsonObject(0).getString("status"));
    });
    return onlyDelivery(hook.getString("id"));
  }

  /** Waits until the service has disabled the endpoint, and returns it as shown. */
  private JsonObject awaitDisabled(JsonObject hook) {
    eventually(WAIT, "endpoint disabled",
        () -> !api.get("/v1/webhooks/" + hook.getString("id"), admin.token()).json().getBoolean("enabled"));
    return api.get("/v1/webhooks/" + hook.getString("id"), admin.token()).json();
  }

  private JsonObject onlyDelivery(String endpointId) {
    JsonArray items = deliveries(endpointId);
    assertThat(items).hasSize(1);
    return items.getJsonObject(0);
  }

  @Test
  void theSpecsPublishedTestVectorIsReproducedAndVerified() {
    String secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    String signature = new WebhookSecret(secret).sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
        "{\"test\": 2432232314}");
    assertThat(signature).isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    assertThat(WebhookReceiver.verify(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
        "{\"test\": 2432232314}", signature)).isTrue();
    assertThat(WebhookReceiver.verify(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265331",
        "{\"test\": 2432232314}", signature)).as("another timestamp").isFalse();
  }

  @Test
  void aBookingReachesTheReceiverSignedWithTheAdminView() {
    JsonObject hook = endpoint("/confirmed", "booking.confirmed");
    long before = Instant.now().getEpochSecond();
    String bookingId = bookSomeone();

    Received r = awaitAt("/confirmed", 1).get(0);
    assertThat(r.header("content-type")).isEqualTo("application/json");
    assertThat(r.header("webhook-id")).isNotBlank();
    assertThat(Long.parseLong(r.header("webhook-timestamp"))).isBetween(before - 1, Instant.now().getEpochSecond());
    assertThat(r.header("webhook-signature")).startsWith("v1,").doesNotContain(" ");
    assertThat(WebhookReceiver.verify(hook.getString("secret"), r)).as("signature").isTrue();
    assertThat(WebhookReceiver.verify("whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[32]), r))
        .as("another secret").isFalse();

    JsonObject body = r.json();
    assertThat(body.fieldNames()).containsExactlyInAnyOrder("type", "timestamp", "data");
    assertThat(body.getString("type")).isEqualTo("booking.confirmed");
    assertThat(body.getString("timestamp")).endsWith("Z");
    JsonObject adminView = api.get("/v1/bookings/" + bookingId, admin.token()).json();
    assertThat(body.getJsonObject("data")).isEqualTo(adminView);

    JsonObject delivery = awaitDelivery(hook, "succeeded");
    assertThat(delivery.getInteger("attempts")).isEqualTo(1);
    assertThat(delivery.getInteger("lastStatusCode")).isEqualTo(200);
    assertThat(delivery.getString("messageId")).isEqualTo(r.header("webhook-id"));
    assertThat(delivery.getString("nextAttemptAt")).isNull();

    // the member's notification of the same booking does not carry the webhook's fields
    eventually(WAIT, "the member's notification", () -> db.count("SELECT count(*) FROM notification_deliveries "
        + "WHERE payload->>'bookingId' = ?", bookingId) >= 1);
    assertThat(db.count("SELECT count(*) FROM notification_deliveries WHERE payload->>'bookingId' = ? "
        + "AND (payload->'webhooks' IS NOT NULL OR payload->'webhookData' IS NOT NULL)", bookingId)).isZero();
  }

  @Test
  void onlySubscribedTypesAreSent() {
    Person booker = member();
    JsonObject event = createEvent(10, 5);
    endpoint("/members-only", "member.created");
    assertThat(book(booker, event.getString("id")).status()).isEqualTo(201); // booking.confirmed: not subscribed
    Api.Res created = api.post("/v1/members", admin.token(), new JsonObject().put("email", "new@example.com")
        .put("name", "New Member"));
    assertThat(created.status()).isEqualTo(201);
    Received r = awaitAt("/members-only", 1).get(0);
    assertThat(r.json().getString("type")).isEqualTo("member.created");
    assertThat(r.json().getJsonObject("data")).isEqualTo(created.json());
    // the booking's message would have come first (its outbox row is older): only the member's came
    assertThat(receiver.at("/members-only")).hasSize(1);
  }

  @Test
  void aServerErrorIsRetriedWithTheSameIdUntilItSucceeds() {
    receiver.script("/flaky", Answer.of(500));
    JsonObject hook = endpoint("/flaky", "booking.confirmed");
    bookSomeone();

    List<Received> got = awaitAt("/flaky", 2);
    assertThat(got.get(0).header("webhook-id")).isEqualTo(got.get(1).header("webhook-id"));
    assertThat(got.get(0).body()).isEqualTo(got.get(1).body());
    got.forEach(r -> assertThat(WebhookReceiver.verify(hook.getString("secret"), r)).isTrue());
    JsonObject delivery = awaitDelivery(hook, "succeeded");
    assertThat(delivery.getInteger("attempts")).isEqualTo(2);
    assertThat(delivery.getInteger("lastStatusCode")).isEqualTo(200);
    assertThat(receiver.at("/flaky")).hasSize(2);
  }

  @Test
  void goneDisablesTheEndpointAtOnce() {
    receiver.script("/gone", Answer.of(410));
    JsonObject hook = endpoint("/gone", "booking.confirmed");
    bookSomeone();
    awaitAt("/gone", 1);
    assertThat(awaitDisabled(hook).getString("disabledReason")).isEqualTo("gone");
    JsonObject delivery = onlyDelivery(hook.getString("id"));
    assertThat(delivery.getString("status")).isEqualTo("failed");
    assertThat(delivery.getInteger("lastStatusCode")).isEqualTo(410);

    // nothing more is queued for it; another endpoint proves the next booking's message went out
    endpoint("/after-gone", "booking.confirmed");
    bookSomeone();
    awaitAt("/after-gone", 1);
    assertThat(receiver.at("/gone")).hasSize(1);
  }

  @Test
  void aRedirectIsNotFollowed() {
    receiver.script("/moved", new Answer(302, Map.of("location", receiver.url("/moved-here"))),
        new Answer(302, Map.of("location", receiver.url("/moved-here"))),
        new Answer(302, Map.of("location", receiver.url("/moved-here"))),
        new Answer(302, Map.of("location", receiver.url("/moved-here"))));
    JsonObject hook = endpoint("/moved", "booking.confirmed");
    bookSomeone();
    // the first attempt and the three retries (300, 600, 1200 ms), then it has failed
    awaitAt("/moved", 4);
    JsonObject delivery = awaitDelivery(hook, "failed");
    assertThat(delivery.getInteger("attempts")).isEqualTo(4);
    assertThat(delivery.getInteger("lastStatusCode")).isEqualTo(302);
    assertThat(receiver.at("/moved-here")).isEmpty();
  }

  @Test
  void aSlowReceiverDoesNotHoldUpAnotherEndpoint() {
    receiver.hold("/slow");
    JsonObject slow = endpoint("/slow", "booking.confirmed");
    endpoint("/fast", "booking.confirmed");
    int bookings = 6;
    JsonObject event = createEvent(10, 5);
    for (int i = 0; i < bookings; i++) {
      assertThat(book(member(), event.getString("id")).status()).isEqualTo(201);
    }
    // every message reaches the fast endpoint while the slow one has not answered a single request
    awaitAt("/fast", bookings);
    assertThat(receiver.mostOpen("/slow")).as("in flight at the slow endpoint").isBetween(1, 2);
    receiver.release("/slow");
    eventually(WAIT, "all delivered to the slow endpoint", () -> deliveries(slow.getString("id")).stream()
        .filter(d -> "succeeded".equals(((JsonObject) d).getString("status"))).count() == bookings);
    Set<String> ids = receiver.at("/slow").stream().map(r -> r.header("webhook-id")).collect(Collectors.toSet());
    assertThat(ids).hasSize(bookings);
    assertThat(receiver.mostOpen("/slow")).isLessThanOrEqualTo(2);
  }

  @Test
  void aRotatedSecretSignsBesideTheOldOneUntilTheOverlapEnds() {
    JsonObject hook = endpoint("/rotated", "booking.confirmed");
    String oldSecret = hook.getString("secret");
    String newSecret = api.post("/v1/webhooks/" + hook.getString("id") + "/rotate-secret", admin.token(), null)
        .json().getString("secret");
    bookSomeone();
    Received during = awaitAt("/rotated", 1).get(0);
    assertThat(during.header("webhook-signature").split(" ")).hasSize(2);
    assertThat(WebhookReceiver.verify(oldSecret, during)).as("old secret, during the overlap").isTrue();
    assertThat(WebhookReceiver.verify(newSecret, during)).as("new secret, during the overlap").isTrue();

    // the 24 h overlap is over
    db.update("UPDATE webhook_endpoints SET previous_secret_until = now() - interval '1 second' WHERE id = ?::uuid",
        hook.getString("id"));
    bookSomeone();
    Received after = awaitAt("/rotated", 2).get(1);
    assertThat(after.header("webhook-signature").split(" ")).hasSize(1);
    assertThat(WebhookReceiver.verify(newSecret, after)).isTrue();
    assertThat(WebhookReceiver.verify(oldSecret, after)).as("old secret after the overlap").isFalse();
  }

  @Test
  void anAddressThatIsNoLongerAllowedIsRefusedAtDelivery() {
    JsonObject hook = endpoint("/moved-inside", "booking.confirmed");
    // as if the partner's host name now resolved to another loopback address (DNS rebinding): not on the allow-list
    db.update("UPDATE webhook_endpoints SET url = ? WHERE id = ?::uuid",
        "http://127.0.0.2:" + receiver.port() + "/moved-inside", hook.getString("id"));
    bookSomeone();
    JsonObject delivery = awaitDelivery(hook, "failed");
    assertThat(delivery.getString("lastError")).contains("not public");
    assertThat(delivery.getInteger("lastStatusCode")).isNull();
    assertThat(receiver.at("/moved-inside")).isEmpty();
  }

  @Test
  void aDeliveryCanBeSentAgainWithItsId() {
    JsonObject hook = endpoint("/again", "booking.confirmed");
    bookSomeone();
    Received first = awaitAt("/again", 1).get(0);
    String deliveryId = awaitDelivery(hook, "succeeded").getString("id");

    Api.Res res = api.post("/v1/webhooks/" + hook.getString("id") + "/deliveries/" + deliveryId + "/redeliver",
        admin.token(), null);
    assertThat(res.status()).as(res.toString()).isEqualTo(202);
    assertThat(res.json().getString("status")).isEqualTo("pending");
    Received again = awaitAt("/again", 2).get(1);
    assertThat(again.header("webhook-id")).isEqualTo(first.header("webhook-id"));
    assertThat(again.json()).isEqualTo(first.json());
    assertThat(WebhookReceiver.verify(hook.getString("secret"), again)).isTrue();

    assertProblem(api.post("/v1/webhooks/" + hook.getString("id") + "/deliveries/" + java.util.UUID.randomUUID()
        + "/redeliver", admin.token(), null), 404, "not_found");
  }

  @Test
  void everyKindOfChangeIsSentWithItsType() {
    endpoint("/all", "booking.confirmed", "booking.waitlisted", "booking.promoted", "booking.cancelled",
        "booking.attended", "event.created", "event.updated", "event.cancelled", "member.created", "member.updated");
    Person first = member();
    Person second = member();
    Person third = member();
    JsonObject event = createEvent(1, 2);
    String a = book(first, event.getString("id")).json().getString("id");
    String b = book(second, event.getString("id")).json().getString("id");
    book(third, event.getString("id"));
    assertThat(api.delete("/v1/bookings/" + a, admin.token()).status()).isEqualTo(200);
    assertThat(api.post("/v1/bookings/" + b + "/check-in", admin.token(), null).status()).isEqualTo(200);
    assertThat(api.patch("/v1/events/" + event.getString("id"), admin.token(), new JsonObject().put("title", "Yoga"))
        .status()).isEqualTo(200);
    assertThat(api.patch("/v1/members/" + first.id(), admin.token(), new JsonObject().put("name", "Renamed"))
        .status()).isEqualTo(200);
    assertThat(api.post("/v1/events/" + event.getString("id") + "/cancel", admin.token(), null).status()).isEqualTo(200);

    // 3 members created, event created, 1 confirmed, 2 waitlisted, a cancelled, b promoted, b attended,
    // event updated, member updated, event cancelled with the third booking cancelled
    eventually(WAIT, "every change", () -> receiver.at("/all").size() >= 14);
    Map<String, Long> types = receiver.at("/all").stream()
        .collect(Collectors.groupingBy(r -> r.json().getString("type"), Collectors.counting()));
    assertThat(types).containsAllEntriesOf(Map.of("member.created", 3L, "event.created", 1L, "booking.confirmed", 1L,
        "booking.waitlisted", 2L, "booking.promoted", 1L, "booking.attended", 1L, "event.updated", 1L,
        "member.updated", 1L, "event.cancelled", 1L, "booking.cancelled", 2L));
    Received attended = receiver.at("/all").stream().filter(r -> r.json().getString("type").equals("booking.attended"))
        .findFirst().orElseThrow();
    assertThat(attended.json().getJsonObject("data").getString("id")).isEqualTo(b);
    assertThat(attended.json().getJsonObject("data").getString("status")).isEqualTo("attended");
    Received cancelled = receiver.at("/all").stream().filter(r -> r.json().getString("type").equals("event.cancelled"))
        .findFirst().orElseThrow();
    assertThat(cancelled.json().getJsonObject("data"))
        .isEqualTo(api.get("/v1/events/" + event.getString("id"), admin.token()).json());
  }

  @Test
  void anEndpointFailingForDaysIsDisabledAndItsAdminsTold() {
    receiver.script("/failing", Answer.of(503));
    JsonObject hook = endpoint("/failing", "booking.confirmed");
    // it has failed every attempt since six days ago (the limit is five)
    db.update("UPDATE webhook_endpoints SET failing_since = now() - interval '6 days' WHERE id = ?::uuid",
        hook.getString("id"));
    try (LogCapture logs = LogCapture.start()) {
      bookSomeone();
      awaitAt("/failing", 1);
      assertThat(awaitDisabled(hook).getString("disabledReason")).isEqualTo("failing");
      eventually(WAIT, "a WARN line for ops", () -> logs.contains("webhook endpoint " + hook.getString("id")
          + " (host 127.0.0.1) disabled: every attempt failed for 5 days"));
    }
    String metrics = api.call("GET", "/metrics").send().raw().body();
    assertThat(metrics).containsPattern("roster_webhook_endpoints_disabled_total\\{reason=\"failing\"\\} [1-9]");
    assertThat(metrics).containsPattern("roster_webhook_deliveries_total\\{endpoint=\"[0-9a-f-]{36}\",outcome=\"failed\"\\} [1-9]");
    assertThat(metrics).contains("roster_webhook_delivery_duration_seconds_count");

    // enabled again by an admin: its failure streak starts afresh
    Api.Res enabled = api.patch("/v1/webhooks/" + hook.getString("id"), admin.token(),
        new JsonObject().put("enabled", true));
    assertThat(enabled.json().getBoolean("enabled")).isTrue();
    assertThat(enabled.json().getString("disabledReason")).isNull();
    assertThat(db.count("SELECT count(*) FROM webhook_endpoints WHERE id = ?::uuid AND failing_since IS NULL",
        hook.getString("id"))).isEqualTo(1);
  }

  @Test
  void retryAfterIsHonoured() {
    receiver.script("/busy", new Answer(429, Map.of("retry-after", "1")));
    JsonObject hook = endpoint("/busy", "booking.confirmed");
    bookSomeone();
    List<Received> got = awaitAt("/busy", 2);
    // asked to wait a second: the 1200 ms delay is used instead of the 300 ms one (less up to 20 % jitter)
    assertThat(got.get(1).atMillis() - got.get(0).atMillis()).isGreaterThanOrEqualTo(900);
    awaitDelivery(hook, "succeeded");
  }

  @Test
  void onlyTheStartOfAnAnswerIsKeptAndRedacted() {
    Answer chatty = new Answer(400, Map.of(), "call me at +15551234567 " + "x".repeat(20_000));
    receiver.script("/chatty", chatty, chatty, chatty, chatty);
    JsonObject hook = endpoint("/chatty", "booking.confirmed");
    bookSomeone();
    JsonObject delivery = awaitDelivery(hook, "failed");
    assertThat(delivery.getInteger("lastStatusCode")).isEqualTo(400);
    assertThat(delivery.getString("lastError")).startsWith("HTTP 400: call me at").doesNotContain("5551234567")
        .hasSizeLessThan(4200);
  }
}
