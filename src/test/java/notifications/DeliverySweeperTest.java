package notifications;

import cron.CronMetrics;
import cron.CronRepository;
import cron.LeaderElection;
import cron.Scheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import support.ApiTestBase;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static support.NotificationTestBase.eventually;

/**
 * The delivery sweeper's SQL on a real PostgreSQL (the service's migrations applied, its own scheduler off so
 * only this test sweeps): which deliveries it queues again through the outbox, that it respects the grace and does
 * not queue one twice within it, and that only the scheduler's lease holder sweeps, fenced by the lease epoch.
 */
class DeliverySweeperTest extends ApiTestBase {

  private static final long GRACE_MS = 60_000;

  private final Vertx vertx = Vertx.vertx();
  private Pool pool;
  private SimpleMeterRegistry registry;
  private DeliverySweeper sweeper;

  @Override
  protected Map<String, String> serviceSettings() {
    return Map.of("ROSTER_SCHEDULER_ENABLED", "false");
  }

  @BeforeAll
  void connect() {
    pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(4)).connectingTo(PgConnectOptions.fromUri(db.url()))
        .using(vertx).build();
  }

  @BeforeEach
  void freshRows() {
    db.update("DELETE FROM notification_deliveries");
    db.update("DELETE FROM outbox");
    db.update("UPDATE scheduler_lease SET holder = NULL, expires_at = now() - interval '1 hour'");
    registry = new SimpleMeterRegistry();
    sweeper = new DeliverySweeper(new NotificationRepository(), new NotificationMetrics(registry), GRACE_MS);
  }

  @AfterAll
  void disconnect() {
    await(pool.close());
    await(vertx.close());
  }

  @Test
  void overdueDeliveriesAreQueuedAgainOnceAndTheRestAreLeftAlone() {
    String pendingLost = delivery("pending", "email", "-90 seconds", null);
    String sendingDead = delivery("sending", "sms", "-90 seconds", "-90 seconds");
    String pendingWithinGrace = delivery("pending", "email", "-30 seconds", null);
    String sendingLive = delivery("sending", "email", "+10 seconds", "+10 seconds");
    String pendingLater = delivery("pending", "push", "+5 minutes", null);
    String sent = delivery("sent", "email", "-1 hour", null);
    String failed = delivery("failed", "sms", "-1 hour", null);

    assertThat(sweep()).isEqualTo(2);
    assertThat(republished()).containsExactlyInAnyOrder(pendingLost + "/email", sendingDead + "/sms");
    // the outbox rows carry what the relay needs to publish one channel of that notification
    assertThat(db.strings("SELECT payload->>'memberId' FROM outbox")).doesNotContainNull();
    assertThat(db.count("SELECT count(*) FROM outbox WHERE kind = 'booking.confirmed'")).isEqualTo(2);
    // statuses are the workers' business: the sweeper only moves the due time forward, by the grace
    assertThat(status(pendingLost)).isEqualTo("pending");
    assertThat(status(sendingDead)).isEqualTo("sending");
    assertThat(db.count("SELECT count(*) FROM notification_deliveries WHERE notification_id IN (?::uuid, ?::uuid) "
        + "AND next_attempt_at > now() + interval '50 seconds'", pendingLost, sendingDead)).isEqualTo(2);
    assertThat(registry.get("roster.notification.sweeper.republished").tag("channel", "email").counter().count())
        .isEqualTo(1);
    assertThat(registry.get("roster.notification.sweeper.republished").tag("channel", "sms").counter().count())
        .isEqualTo(1);

    // the next sweep, within the grace, queues nothing again
    assertThat(sweep()).isZero();
    assertThat(republished()).hasSize(2);

    // once a delivery is overdue by more than the grace it is swept; finished ones never are
    db.update("UPDATE notification_deliveries SET next_attempt_at = now() - interval '61 seconds' "
        + "WHERE notification_id = ?::uuid", pendingWithinGrace);
    assertThat(sweep()).isEqualTo(1);
    assertThat(republished()).contains(pendingWithinGrace + "/email")
        .doesNotContain(sendingLive + "/email", pendingLater + "/push", sent + "/email", failed + "/sms");
    assertThat(status(sent)).isEqualTo("sent");
    assertThat(status(failed)).isEqualTo("failed");
  }

  @Test
  void onlyTheLeaseHolderSweepsAndADeposedLeaderSweepsNothing() throws Exception {
    AtomicInteger sweptByA = new AtomicInteger();
    AtomicInteger sweptByB = new AtomicInteger();
    Scheduler a = scheduler("node-a", sweptByA);
    Scheduler b = scheduler("node-b", sweptByB);
    long ticks = vertx.setPeriodic(50, t -> {
      a.tick();
      b.tick();
    });
    try {
      eventually(Duration.ofSeconds(10), "a node leads", () -> a.epoch() != null || b.epoch() != null);
      Scheduler leader = a.epoch() != null ? a : b;
      Scheduler follower = leader == a ? b : a;
      AtomicInteger sweptByLeader = leader == a ? sweptByA : sweptByB;
      AtomicInteger sweptByFollower = leader == a ? sweptByB : sweptByA;

      String lost = delivery("pending", "email", "-2 minutes", null);
      eventually(Duration.ofSeconds(10), "the leader sweeps the lost delivery", () -> republished().size() == 1);
      assertThat(republished()).containsExactly(lost + "/email");
      Thread.sleep(1000); // several more sweeps, within the grace
      assertThat(republished()).as("queued once within the grace").hasSize(1);
      assertThat(follower.epoch()).as("the other node follows").isNull();
      assertThat(sweptByFollower.get()).as("sweeps run by the follower").isZero();
      assertThat(sweptByLeader.get()).isPositive();

      // another node takes the lease (a partition healed the other way): the leader's epoch is no longer the lease's
      db.update("UPDATE scheduler_lease SET holder = 'node-c', epoch = epoch + 1, expires_at = now() + interval '1 hour'");
      String lostLater = delivery("pending", "sms", "-2 minutes", null);
      eventually(Duration.ofSeconds(10), "the leader knows it was deposed", () -> leader.epoch() == null);
      Thread.sleep(1000);
      assertThat(republished()).as("nobody but the holder sweeps").doesNotContain(lostLater + "/sms").hasSize(1);
      assertThat(follower.epoch()).isNull();
    } finally {
      vertx.cancelTimer(ticks);
    }
  }

  // ---------------------------------------------------------------- helpers

  private Scheduler scheduler(String node, AtomicInteger swept) {
    return new Scheduler(pool, new CronRepository(), LeaderElection.alone(), new CronMetrics(null), node, 8,
        java.time.Clock.systemUTC())
        .duty("delivery-sweeper", 100, tx -> sweeper.sweep(tx).onSuccess(n -> swept.incrementAndGet()));
  }

  /** A delivery row with the given status, due (and leased) at now() plus the given intervals; its notification id. */
  private String delivery(String status, String channel, String dueIn, String leaseIn) {
    String id = UUID.randomUUID().toString();
    db.update("INSERT INTO notification_deliveries (notification_id, channel, kind, member_id, payload, status, "
            + "next_attempt_at, lease_until) VALUES (?::uuid, ?, 'booking.confirmed', ?::uuid, '{}'::jsonb, ?, "
            + "now() + ?::interval, now() + ?::interval)", id, channel, admin.id(), status, dueIn,
        leaseIn == null ? "0 seconds" : leaseIn);
    if (leaseIn == null) {
      db.update("UPDATE notification_deliveries SET lease_until = NULL WHERE notification_id = ?::uuid", id);
    }
    return id;
  }

  private int sweep() {
    return await(pool.withTransaction(tx -> sweeper.sweep(tx)));
  }

  /** notificationId/onlyChannel of every outbox row (what the relay will publish). */
  private List<String> republished() {
    return db.strings("SELECT (payload->>'notificationId') || '/' || (payload->>'onlyChannel') FROM outbox");
  }

  private String status(String notificationId) {
    return db.strings("SELECT status FROM notification_deliveries WHERE notification_id = ?::uuid", notificationId)
        .get(0);
  }

  private static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
