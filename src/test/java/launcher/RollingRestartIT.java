package launcher;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import support.Api;
import support.Crowd;
import support.NotificationTestBase;
import support.TestDatabase;
import support.TestIssuer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static support.NotificationTestBase.eventually;

/**
 * A rolling restart of a three-node cluster under constant booking load, behind {@link HealthCheckingProxy} (new
 * connections go only to nodes whose readiness is 200, as with a Kubernetes Service): each node in turn gets
 * SIGTERM, drains, exits 0 and starts again, and only then the next. No request fails, every 201 is a row, and the
 * scheduler's job (every 2 s) keeps firing across the leader's restart.
 */
class RollingRestartIT {

  private static final int NODES = 3;
  private static final int DELAY_MS = 2000;
  private static final int GRACE_MS = 15_000;
  private static final int LEASE_SECONDS = 6;
  private static final int CLIENTS = 6;
  private static final int MEMBERS = 1000;
  private static final int EVENTS = 60;

  private TestDatabase db;
  private TestIssuer issuer;
  private HealthCheckingProxy proxy;
  private final String cluster = "roll-" + UUID.randomUUID().toString().substring(0, 6);
  private final int[] httpPorts = new int[NODES];
  private final int[] clusterPorts = new int[NODES];
  private final JarProcess[] nodes = new JarProcess[NODES];

  @AfterEach
  void cleanUp() {
    for (JarProcess node : nodes) {
      if (node != null) {
        node.close();
      }
    }
    if (proxy != null) {
      proxy.close();
    }
    if (issuer != null) {
      issuer.close();
    }
    if (db != null) {
      db.drop();
    }
    NotificationTestBase.deleteTopology(cluster);
  }

  @Test
  void rollingRestartUnderLoadFailsNoRequestAndLosesNoBooking() throws Exception {
    db = TestDatabase.create("rolling");
    issuer = new TestIssuer();
    for (int i = 0; i < NODES; i++) {
      httpPorts[i] = DevModeIT.freePort();
      clusterPorts[i] = DevModeIT.freePort();
    }
    for (int i = 0; i < NODES; i++) {
      startNode(i); // one at a time: the schema is migrated once, and the first node is the oldest member
      awaitReady(i);
    }
    proxy = new HealthCheckingProxy(List.of(httpPorts[0], httpPorts[1], httpPorts[2]));
    Api api = new Api("http://127.0.0.1:" + proxy.port());
    eventually(Duration.ofSeconds(10), "the proxy sees every node ready",
        () -> proxy.ready(0) && proxy.ready(1) && proxy.ready(2));

    Api.Res health = new Api("http://127.0.0.1:" + httpPorts[0]).call("GET", "/health").send();
    assertThat(health.status()).as(health.toString()).isEqualTo(200);
    assertThat(health.raw().body()).as("the cluster in /health").contains("\"members\":3");

    String admin = issuer.token("rolling-admin", "admin");
    Api.Res job = api.post("/v1/cron-schedule", admin, new JsonObject().put("taskName", "purge_expired")
        .put("cronExpression", "*/2 * * * * *"));
    assertThat(job.status()).as(job.toString()).isEqualTo(201);
    String jobId = job.json().getString("id");
    List<String> events = new ArrayList<>();
    Instant start = Instant.now().plus(3, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
    for (int i = 0; i < EVENTS; i++) {
      Api.Res event = api.post("/v1/events", admin, new JsonObject().put("title", "Rolling " + i)
          .put("startsAt", start.toString()).put("endsAt", start.plus(1, ChronoUnit.HOURS).toString())
          .put("capacity", MEMBERS));
      assertThat(event.status()).as(event.toString()).isEqualTo(201);
      events.add(event.json().getString("id"));
    }
    List<Crowd> crowd = Crowd.insert(db, issuer, "rolling", MEMBERS);

    Load load = new Load(proxy.port(), crowd, events);
    load.start();
    Thread.sleep(3000);
    Instant rollStart = Instant.now();
    List<String> report = new ArrayList<>();
    for (int i = 0; i < NODES; i++) {
      long before = load.answered.get();
      long sigterm = System.nanoTime();
      nodes[i].signal("TERM");
      int code = nodes[i].awaitExit(Duration.ofMillis(DELAY_MS + GRACE_MS + 20_000));
      long stopMs = millisSince(sigterm);
      nodes[i].close();
      startNode(i);
      awaitReady(i);
      int restarted = i;
      eventually(Duration.ofSeconds(10), "the proxy sees node" + i + " ready again", () -> proxy.ready(restarted));
      report.add("node" + i + ": exit " + code + " " + stopMs + " ms after SIGTERM, ready again after "
          + millisSince(sigterm) + " ms; " + (load.answered.get() - before) + " requests answered meanwhile");
      assertThat(code).as("node%d's exit code after SIGTERM", i).isZero();
      Thread.sleep(2000);
    }
    Instant rollEnd = Instant.now();
    Thread.sleep(2000);
    load.stop();

    long created = load.created.size();
    long rows = db.count("SELECT count(*) FROM bookings WHERE id::text = ANY(string_to_array(?, ','))",
        String.join(",", load.created));
    long rowsOfTheLoad = db.count("SELECT count(*) FROM bookings");
    List<Long> gaps = runGaps(jobId, rollStart, rollEnd);
    long maxGapMs = gaps.stream().mapToLong(Long::longValue).max().orElse(Long.MAX_VALUE);
    System.out.println("RollingRestartIT: " + load.answered.get() + " requests (" + created + " bookings 201, "
        + load.failures.size() + " failed) from " + CLIENTS + " clients during " + Duration.between(rollStart, rollEnd)
        .toSeconds() + " s of rolling restart (delay " + DELAY_MS + " ms); rows " + rowsOfTheLoad + "; job runs "
        + "scheduled in the window " + (gaps.size() + 1) + ", largest gap " + maxGapMs + " ms; proxy connections "
        + proxy.connectionsSeen() + " (" + proxy.resets() + " ended by an error)");
    report.forEach(line -> System.out.println("  " + line));
    load.failures.stream().limit(10).forEach(f -> System.out.println("  failed: " + f));

    assertThat(load.failures).as("failed requests").isEmpty();
    assertThat(rows).as("201 answers with their row").isEqualTo(created);
    assertThat(rowsOfTheLoad).as("rows without a 201 answer").isEqualTo(created);
    assertThat(gaps).as("job runs during the restarts").isNotEmpty();
    assertThat(maxGapMs).as("largest gap between runs of a 2 s job").isLessThanOrEqualTo(LEASE_SECONDS * 1000L);
  }

  /** Constant load: each client books in a loop, every request a new (member, event) pair. */
  private static final class Load {
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    private final int port;
    private final List<Crowd> crowd;
    private final List<String> events;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger answered = new AtomicInteger();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<String> created = Collections.synchronizedList(new ArrayList<>());
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private final List<Thread> threads = new ArrayList<>();

    Load(int port, List<Crowd> crowd, List<String> events) {
      this.port = port;
      this.crowd = crowd;
      this.events = events;
    }

    void start() {
      for (int i = 0; i < CLIENTS; i++) {
        Thread t = new Thread(this::run, "load-" + i);
        threads.add(t);
        t.start();
      }
    }

    void stop() throws InterruptedException {
      running.set(false);
      for (Thread t : threads) {
        t.join(60_000);
      }
    }

    private void run() {
      while (running.get()) {
        int k = next.getAndIncrement();
        Crowd member = crowd.get(k % crowd.size());
        String event = events.get(k / crowd.size());
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/bookings"))
            .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + member.token())
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("eventId", event).encode())).build();
        Instant sent = Instant.now();
        try {
          HttpResponse<String> res = http.send(request, HttpResponse.BodyHandlers.ofString());
          answered.incrementAndGet();
          if (res.statusCode() == 201) {
            created.add(new JsonObject(res.body()).getString("id"));
          } else {
            failures.add(sent + " " + res.statusCode() + " " + res.body());
          }
        } catch (Exception e) {
          Throwable root = e;
          while (root.getCause() != null) {
            root = root.getCause();
          }
          failures.add(sent + " " + root);
        }
      }
    }
  }

  /** Milliseconds between consecutive scheduled runs of the job whose instants fall in the window. */
  private List<Long> runGaps(String jobId, Instant from, Instant to) throws Exception {
    List<Long> gaps = new ArrayList<>();
    try (Connection c = db.connect(); var st = c.prepareStatement("SELECT scheduled_for FROM job_runs WHERE job_id = "
        + "?::uuid AND trigger = 'schedule' AND scheduled_for BETWEEN ? AND ? ORDER BY scheduled_for")) {
      st.setString(1, jobId);
      st.setTimestamp(2, Timestamp.from(from));
      st.setTimestamp(3, Timestamp.from(to));
      try (ResultSet rs = st.executeQuery()) {
        Instant previous = null;
        while (rs.next()) {
          Instant at = rs.getTimestamp(1).toInstant();
          if (previous != null) {
            gaps.add(Duration.between(previous, at).toMillis());
          }
          previous = at;
        }
      }
    }
    return gaps;
  }

  private void startNode(int i) throws Exception {
    nodes[i] = JarProcess.start(NodeEnvironment.api(db.url(), issuer).broker(cluster)
        .clusterMember(cluster, clusterPorts, i)
        .set("ROSTER_PG_POOL_SIZE", 8).set("ROSTER_HTTP_PORT", httpPorts[i]).set("ROSTER_HTTP_HOST", "127.0.0.1")
        .set("ROSTER_HTTP_INSTANCES", 1).set("ROSTER_SCHEDULER_LEASE_SECONDS", LEASE_SECONDS)
        .set("ROSTER_SHUTDOWN_DELAY_MS", DELAY_MS).set("ROSTER_SHUTDOWN_GRACE_MS", GRACE_MS)
        // each member books up to EVENTS times in a minute, as no real member does: this test is about the drain
        .set("ROSTER_RATE_BOOKING_LIMIT", EVENTS * 10).map(), "start");
  }

  private void awaitReady(int i) {
    Api node = new Api("http://127.0.0.1:" + httpPorts[i]);
    eventually(Duration.ofSeconds(120), "node" + i + " ready", () -> {
      try {
        return node.call("GET", "/health/ready").send().status() == 200;
      } catch (RuntimeException notYet) {
        return false;
      }
    });
  }

  private static long millisSince(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
  }
}
