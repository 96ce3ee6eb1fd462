package cron;

import org.junit.jupiter.api.Test;
import support.DirectDatabaseTestBase;
import support.NotificationTestBase;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The scheduler goes by the database's clock: a node whose own clock runs 10 minutes ahead claims every instant
 * in turn (none skipped), and stamps each run's lateness by the database's time, not its own.
 */
class SchedulerClockTest extends DirectDatabaseTestBase {

  @Test
  void aNodeWhoseClockRunsAheadSkipsNoInstantAndStampsRunsByDatabaseTime() throws Exception {
    db.update("UPDATE cron_jobs SET enabled = false");
    // every 5 seconds; its current instant was missed 20 s ago (by the database's clock)
    String job = db.strings("INSERT INTO cron_jobs (task_name, cron_expression, timezone, payload, enabled, next_run) "
        + "VALUES ('purge_expired', '*/5 * * * * *', 'UTC', '{}', true, "
        + "to_timestamp(floor(extract(epoch FROM now()) / 5) * 5 - 20)) RETURNING id").get(0);
    long missed = db.count("SELECT extract(epoch FROM next_run)::bigint FROM cron_jobs WHERE id = ?::uuid",
        java.util.UUID.fromString(job));

    Clock tenMinutesAhead = Clock.offset(Clock.systemUTC(), Duration.ofMinutes(10));
    Scheduler scheduler = new Scheduler(pool, new CronRepository(), LeaderElection.alone(), new CronMetrics(null),
        "node-ahead", 8, tenMinutesAhead);
    long timer = app.vertx().setPeriodic(100, t -> scheduler.tick());
    try {
      NotificationTestBase.eventually(Duration.ofSeconds(40), "four runs claimed", () ->
          db.count("SELECT count(*) FROM job_runs WHERE job_id = ?::uuid", java.util.UUID.fromString(job)) >= 4);
    } finally {
      app.vertx().cancelTimer(timer);
      scheduler.resign().toCompletionStage().toCompletableFuture().get();
    }

    List<String> instants = db.strings("SELECT extract(epoch FROM scheduled_for)::bigint FROM job_runs "
        + "WHERE job_id = ?::uuid ORDER BY scheduled_for", java.util.UUID.fromString(job));
    List<String> lateness = db.strings("SELECT lateness_ms FROM job_runs WHERE job_id = ?::uuid ORDER BY scheduled_for",
        java.util.UUID.fromString(job));
    assertThat(Long.parseLong(instants.get(0))).as("the missed instant fires, once").isEqualTo(missed);
    assertThat(Long.parseLong(lateness.get(0))).as("late by the database's clock (about 20 s), not 10 min more")
        .isBetween(15_000L, 120_000L);
    for (int i = 2; i < instants.size(); i++) {
      assertThat(Long.parseLong(instants.get(i)) - Long.parseLong(instants.get(i - 1)))
          .as("consecutive instants after the catch-up: none skipped (%s)", instants).isEqualTo(5);
    }
    for (int i = 1; i < lateness.size(); i++) {
      assertThat(Long.parseLong(lateness.get(i))).as("on-time runs are not stamped 10 minutes late (%s)", lateness)
          .isLessThan(120_000L);
    }
    assertThat(db.count("SELECT count(*) FROM cron_jobs WHERE id = ?::uuid AND next_run <= now() + interval '2 minutes'",
        java.util.UUID.fromString(job))).as("the next instant is minutes from the database's now, not 10 ahead")
        .isEqualTo(1);
  }
}
