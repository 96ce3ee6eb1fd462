package ops;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import support.Api;
import support.NotificationTestBase;
import support.PromQueries;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard and the alerts of k8s/monitoring read only metrics the service exposes: one node with every role
 * books a seat (its e-mail delivered) and runs a job, then every metric name in the dashboard's queries and the
 * rules' expressions must be on /metrics. A renamed metric fails here, not in a silent panel or an alert that can
 * never fire.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MonitoredMetricsTest extends NotificationTestBase {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @BeforeAll
  void bookWithANotificationAndRunAJob() {
    Person member = member();
    Api.Res channels = api.patch("/v1/members/" + member.id(), admin.token(),
        new JsonObject().put("channels", new JsonArray().add("email")));
    assertThat(channels.status()).as(channels.toString()).isEqualTo(200);
    String eventId = createEvent(5, 0).getString("id");
    Api.Res booked = book(member, eventId);
    assertThat(booked.status()).as(booked.toString()).isEqualTo(201);
    eventually(WAIT, "the booking's e-mail delivered", () -> !mailsTo(member.json().getString("email")).isEmpty());

    Api.Res job = api.post("/v1/cron-schedule", admin.token(), new JsonObject().put("taskName", "purge_expired")
        .put("cronExpression", "0 3 1 1 *").put("enabled", false));
    assertThat(job.status()).as(job.toString()).isEqualTo(201);
    Api.Res run = api.post("/v1/cron-jobs/trigger", admin.token(), new JsonObject().put("jobId", job.json().getString("id")));
    assertThat(run.status()).as(run.toString()).isEqualTo(202);
    eventually(WAIT, "the job run completed", () -> db.count(
        "SELECT count(*) FROM job_runs WHERE id = ?::uuid AND status = 'completed'", run.json().getString("id")) == 1);
  }

  @Test
  void everyMetricTheDashboardAndTheAlertsReadIsExposed() {
    Set<String> used = new TreeSet<>();
    List<String> queries = new ArrayList<>(PromQueries.ofDashboard(PromQueries.dashboard()));
    queries.addAll(PromQueries.ofRules(PromQueries.rules()));
    queries.forEach(q -> used.addAll(PromQueries.metricNames(q)));
    used.removeAll(PromQueries.recorded(PromQueries.rules()));
    assertThat(used).as("names read from the queries").contains("roster_bookings_duration_seconds_bucket",
        "vertx_http_server_requests_total", "roster_scheduler_leader", "jvm_memory_used_bytes");

    // gauges such as the outbox backlog and the dead-letter depths appear once the relay has looked
    Set<String> missing = missing(used);
    Instant deadline = Instant.now().plus(WAIT);
    while (!missing.isEmpty() && Instant.now().isBefore(deadline)) {
      pause();
      missing = missing(used);
    }
    assertThat(missing).as("metrics the dashboard or the alerts read that /metrics does not expose").isEmpty();
  }

  @Test
  void everyExposedNameIsInBaseUnits() {
    // Prometheus conventions: seconds and bytes, never ms, ns or minutes (a rate of them reads wrong)
    assertThat(PromQueries.exposed(metrics()))
        .noneMatch(name -> name.matches(".*_(ms|ns|us|millis|milliseconds|nanos|nanoseconds|micros|minutes|hours|kb|mb)(_.*)?"))
        .contains("process_cpu_seconds_total", "process_files_open_files");
  }

  @Test
  void latencyHistogramsHaveTheFixedBuckets() {
    String text = metrics();
    List<String> bookingBuckets = text.lines()
        .filter(l -> l.startsWith("roster_bookings_duration_seconds_bucket{") && l.contains("outcome=\"confirmed\""))
        .toList();
    assertThat(bookingBuckets).as("one series per bucket of ServiceMeters.LATENCY_BUCKETS, and +Inf")
        .hasSize(ServiceMeters.LATENCY_BUCKETS.length + 1)
        .anySatisfy(l -> assertThat(l).contains("le=\"1.0\""));
    assertThat(text.lines().filter(l -> l.startsWith("vertx_http_server_response_time_seconds_bucket{")
        && l.contains("route=\"/v1/bookings\"") && l.contains("code=\"201\"")))
        .as("the booking route's response-time buckets").hasSize(ServiceMeters.LATENCY_BUCKETS.length + 1);
  }

  @Test
  void theCoalescerQueueIsEmptyOnceEveryBookingIsAnswered() {
    assertThat(metrics().lines().filter(l -> l.startsWith("roster_bookings_queue_length ")))
        .containsExactly("roster_bookings_queue_length 0.0");
  }

  private Set<String> missing(Set<String> used) {
    Set<String> missing = new TreeSet<>(used);
    missing.removeAll(PromQueries.exposed(metrics()));
    return missing;
  }

  private String metrics() {
    Api.Res res = api.call("GET", "/metrics").send();
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    return res.raw().body();
  }

  private static void pause() {
    try {
      Thread.sleep(200);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
