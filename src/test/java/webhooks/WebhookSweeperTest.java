package webhooks;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import support.DirectDatabaseTestBase;

import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The webhook sweeper's SQL on a real PostgreSQL (the service's migrations applied, its own scheduler off so only
 * this test sweeps): which deliveries it queues again through the outbox (a pending one whose message was lost, a
 * sending one past its lease), that it respects the grace, does not queue one twice within it, and never takes a
 * delivery that succeeded or failed.
 */
class WebhookSweeperTest extends DirectDatabaseTestBase {

  private static final long GRACE_MS = 60_000;

  private SimpleMeterRegistry registry;
  private WebhookSweeper sweeper;
  private String endpoint;

  @BeforeEach
  void freshRows() {
    db.update("DELETE FROM webhook_deliveries");
    db.update("DELETE FROM webhook_endpoints");
    db.update("DELETE FROM outbox");
    endpoint = db.strings("INSERT INTO webhook_endpoints (url, event_types, secret) VALUES "
        + "('https://partner.example/hooks', ARRAY['member.created'], 'whsec_AAAA') RETURNING id::text").get(0);
    registry = new SimpleMeterRegistry();
    sweeper = new WebhookSweeper(new WebhookRepository(), new WebhookMetrics(registry), GRACE_MS);
  }

  @Test
  void overdueDeliveriesAreQueuedAgainOnceAndTheRestAreLeftAlone() {
    String pendingLost = delivery("pending", "-90 seconds");
    String sendingDead = delivery("sending", "-90 seconds");
    String pendingWithinGrace = delivery("pending", "-30 seconds");
    String sendingLive = delivery("sending", "+30 seconds");
    String succeeded = delivery("succeeded", "-1 hour");
    String failed = delivery("failed", "-1 hour");

    assertThat(sweep()).isEqualTo(2);
    assertThat(republished()).containsExactlyInAnyOrder(pendingLost, sendingDead);
    // what the relay needs to publish it again: the original body, to this endpoint only
    assertThat(db.strings("SELECT payload->'webhookMessage'->>'type' || ' ' || (payload->'webhooks')::text "
        + "FROM outbox")).containsOnly("member.created [\"" + endpoint + "\"]");
    assertThat(db.count("SELECT count(*) FROM outbox WHERE kind = 'webhook.redeliver'")).isEqualTo(2);
    // both wait as pending (the dead worker's claim is over), due again a grace later
    assertThat(status(pendingLost)).isEqualTo("pending");
    assertThat(status(sendingDead)).isEqualTo("pending");
    assertThat(db.count("SELECT count(*) FROM webhook_deliveries WHERE message_id IN (?::uuid, ?::uuid) "
        + "AND next_attempt_at > now() + interval '50 seconds'", pendingLost, sendingDead)).isEqualTo(2);
    assertThat(registry.get("roster.webhook.sweeper.republished").counter().count()).isEqualTo(2);

    // the next sweep, within the grace, queues nothing again
    assertThat(sweep()).isZero();
    assertThat(republished()).hasSize(2);

    // once overdue by more than the grace a delivery is swept; finished and live ones never are
    db.update("UPDATE webhook_deliveries SET next_attempt_at = now() - interval '61 seconds' "
        + "WHERE message_id = ?::uuid", pendingWithinGrace);
    assertThat(sweep()).isEqualTo(1);
    assertThat(republished()).contains(pendingWithinGrace).doesNotContain(sendingLive, succeeded, failed);
    assertThat(status(sendingLive)).isEqualTo("sending");
    assertThat(status(succeeded)).isEqualTo("succeeded");
    assertThat(status(failed)).isEqualTo("failed");
    System.out.println("WebhookSweeperTest: 6 deliveries, swept 2 then 0 within the grace, then 1 past it");
  }

  // ---------------------------------------------------------------- helpers

  /** A delivery to this test's endpoint with the given status, due at now() plus the interval; its message id. */
  private String delivery(String status, String dueIn) {
    String id = UUID.randomUUID().toString();
    db.update("INSERT INTO webhook_deliveries (message_id, endpoint_id, event_type, payload, status, attempts, "
            + "next_attempt_at) VALUES (?::uuid, ?::uuid, 'member.created', "
            + "'{\"type\": \"member.created\", \"timestamp\": \"2026-12-01T10:00:00Z\", \"data\": {}}'::jsonb, ?, 1, "
            + "now() + ?::interval)", id, endpoint, status, dueIn);
    return id;
  }

  private int sweep() {
    return await(pool.withTransaction(tx -> sweeper.sweep(tx)));
  }

  /** The message id of every outbox row (what the relay will publish again). */
  private List<String> republished() {
    return db.strings("SELECT payload->>'webhookMessageId' FROM outbox");
  }

  private String status(String messageId) {
    return db.strings("SELECT status FROM webhook_deliveries WHERE message_id = ?::uuid", messageId).get(0);
  }
}
