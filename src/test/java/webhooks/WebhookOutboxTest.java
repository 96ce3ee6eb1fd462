package webhooks;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import support.Api;
import support.ApiTestBase;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a change writes to the outbox for webhooks, on the one-booking path (no coalescing, no broker: the rows
 * stay where the relay would find them): the subscribed endpoints and the resource in the change's own row, and
 * nothing at all when no enabled endpoint listens.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebhookOutboxTest extends ApiTestBase {

  @Override
  protected Map<String, String> serviceSettings() {
    return Map.of("ROSTER_WEBHOOKS_ALLOWED_HOSTS", "127.0.0.1", "ROSTER_BOOKING_COALESCE", "false");
  }

  @BeforeEach
  void noEndpoints() {
    db.update("DELETE FROM webhook_endpoints");
  }

  private String endpoint(String... types) {
    Api.Res res = api.post("/v1/webhooks", admin.token(), new JsonObject().put("url", "http://127.0.0.1:9/")
        .put("eventTypes", new JsonArray(List.of((Object[]) types))));
    assertThat(res.status()).isEqualTo(201);
    return res.json().getString("id");
  }

  private JsonObject outboxOf(String bookingId, String kind) {
    List<String> payloads = db.strings("SELECT payload::text FROM outbox WHERE payload->>'bookingId' = ? AND kind = ?",
        bookingId, kind);
    assertThat(payloads).hasSize(1);
    return new JsonObject(payloads.get(0));
  }

  @Test
  void aSubscribedBookingCarriesItsEndpointsAndTheBookingInItsOwnRow() {
    String confirmed = endpoint("booking.confirmed");
    String both = endpoint("booking.confirmed", "booking.waitlisted");
    endpoint("member.updated");
    JsonObject event = createEvent(1, 1);
    String first = book(member(), event.getString("id")).json().getString("id");
    String second = book(member(), event.getString("id")).json().getString("id");

    JsonObject seat = outboxOf(first, "booking.confirmed");
    assertThat(seat.getJsonArray("webhooks")).containsExactlyInAnyOrder(confirmed, both);
    assertThat(seat.getString("webhookType")).isEqualTo("booking.confirmed");
    assertThat(seat.getJsonObject("webhookData").getString("id")).isEqualTo(first);
    assertThat(seat.getString("memberId")).as("the notification's fields stay").isNotNull();

    JsonObject waiting = outboxOf(second, "booking.waitlisted");
    assertThat(waiting.getJsonArray("webhooks")).containsExactly(both);
  }

  @Test
  void withoutAnEnabledSubscriberNothingIsAdded() {
    String off = endpoint("booking.confirmed", "booking.attended");
    assertThat(api.patch("/v1/webhooks/" + off, admin.token(), new JsonObject().put("enabled", false)).status())
        .isEqualTo(200);
    JsonObject event = createEvent(5, 0);
    String booking = book(member(), event.getString("id")).json().getString("id");
    JsonObject row = outboxOf(booking, "booking.confirmed");
    assertThat(row.fieldNames()).containsExactlyInAnyOrder("bookingId", "eventId", "memberId", "status");

    // a check-in notifies no member: it writes an outbox row only when a webhook listens
    assertThat(api.post("/v1/bookings/" + booking + "/check-in", admin.token(), null).status()).isEqualTo(200);
    assertThat(db.count("SELECT count(*) FROM outbox WHERE kind = 'webhook' AND payload->'webhookData'->>'id' = ?",
        booking)).isZero();

    String on = endpoint("booking.attended");
    String other = book(member(), event.getString("id")).json().getString("id");
    assertThat(api.post("/v1/bookings/" + other + "/check-in", admin.token(), null).status()).isEqualTo(200);
    assertThat(db.strings("SELECT payload->>'webhooks' FROM outbox WHERE kind = 'webhook' "
        + "AND payload->'webhookData'->>'id' = ?", other)).containsExactly("[\"" + on + "\"]");
  }
}
