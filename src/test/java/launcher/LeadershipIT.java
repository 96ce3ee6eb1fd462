package launcher;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import support.Api;
import support.TcpProxy;
import support.TestDatabase;
import support.TestIssuer;

import java.net.URI;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Scheduler leadership in a cluster split by role: three service JVMs clustered with Hazelcast, a job every 2 s.
 * node0 joins first (the oldest member) as an API pod with the scheduler disabled; node1 and node2 are worker pods
 * with the scheduler enabled, node1 reaching PostgreSQL through a {@link TcpProxy}. The job fires under node1
 * (the oldest enabled member); node0 never touches the lease. Then node1's database is cut: node2 takes the
 * expired lease under a higher epoch although node1 is still the older member, and keeps it once node1's
 * database is back (no flapping). Every instant runs at most once, and only the outage misses any.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LeadershipIT {

  private static final int NODES = 3;
  private static final int LEASE_SECONDS = 6;

  private TestDatabase db;
  private TestIssuer issuer;
  private TcpProxy node1Database;
  private String admin;
  private final String cluster = "lead-" + UUID.randomUUID().toString().substring(0, 6);
  private final int[] clusterPorts = new int[NODES];
  private int apiPort;
  private final JarProcess[] nodes = new JarProcess[NODES];
  private final List<String> figures = new ArrayList<>();

  @BeforeAll
  void start() throws Exception {
    db = TestDatabase.create("leadership");
    URI server = URI.create(db.url());
    node1Database = new TcpProxy(server.getHost(), server.getPort());
    issuer = new TestIssuer();
    admin = issuer.token("leadership-admin", "admin");
    apiPort = DevModeIT.freePort();
    for (int i = 0; i < NODES; i++) {
      clusterPorts[i] = DevModeIT.freePort();
    }
    // one at a time, so that join order (Hazelcast seniority) is node0, node1, node2
    startNode(0, apiPod());
    startNode(1, workerPod(node1Database.url(db.url())));
    awaitLease("node1", Duration.ofSeconds(30));
    startNode(2, workerPod(db.url()));
  }

  @AfterAll
  void stop() {
    for (JarProcess node : nodes) {
      if (node != null) {
        node.close();
      }
    }
    if (node1Database != null) {
      node1Database.close();
    }
    if (issuer != null) {
      issuer.close();
    }
    if (db != null) {
      db.drop();
    }
    figures.forEach(System.out::println);
  }

  /** HTTP only: no relay, no workers, and the scheduler disabled. */
  private NodeEnvironment apiPod() {
    return NodeEnvironment.api(db.url(), issuer).set("ROSTER_HTTP_PORT", apiPort).set("ROSTER_HTTP_INSTANCES", 1)
        .set("ROSTER_RELAY_INSTANCES", 0).set("ROSTER_WORKER_INSTANCES", 0).set("ROSTER_SCHEDULER_ENABLED", false);
  }

  /** The scheduler only: no HTTP (so no token issuer), and no broker roles, which this test does not need. */
  private NodeEnvironment workerPod(String databaseUrl) {
    return NodeEnvironment.database(databaseUrl).set("ROSTER_HTTP_INSTANCES", 0).set("ROSTER_RELAY_INSTANCES", 0)
        .set("ROSTER_WORKER_INSTANCES", 0);
  }

  private void startNode(int i, NodeEnvironment role) throws Exception {
    nodes[i] = JarProcess.start(role.clusterMember(cluster, clusterPorts, i)
        .set("ROSTER_SCHEDULER_LEASE_SECONDS", LEASE_SECONDS).map(), "start");
    nodes[i].awaitLine(l -> l.contains("scheduler on node"), Duration.ofSeconds(90));
  }

  @Test
  void anEnabledNodeLeadsWhateverTheOldestMemberCanDo() throws Exception {
    Api.Res created = new Api("http://127.0.0.1:" + apiPort).post("/v1/cron-schedule", admin, new JsonObject()
        .put("taskName", "purge_expired").put("cronExpression", "*/2 * * * * *"));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    String jobId = created.json().getString("id");

    // the oldest member has its scheduler disabled: the oldest enabled one leads, and the job fires every 2 s
    long firstEpoch = Long.parseLong(lease()[1]);
    Instant deadline = Instant.now().plusSeconds(30);
    while (runs(jobId).size() < 4 && Instant.now().isBefore(deadline)) {
      Thread.sleep(250);
    }
    TreeMap<Instant, String> before = runs(jobId);
    assertThat(before).as("runs of a job every 2 s while node1 leads").hasSizeGreaterThanOrEqualTo(4);
    assertThat(before.values()).as("node and epoch of each run").containsOnly("node1@" + firstEpoch);
    assertThat(lease()[0]).isEqualTo("node1");

    // node1 loses PostgreSQL while still the oldest enabled member: node2 takes the lease once it expires
    Instant cutAt = Instant.now();
    node1Database.cut();
    Instant firedAt = firstRunAfter(jobId, firstEpoch, Duration.ofSeconds(LEASE_SECONDS + 20));
    long failoverMs = Duration.between(cutAt, firedAt).toMillis();
    String[] taken = lease();
    figures.add("LeadershipIT: node1 cut from PostgreSQL; node2 fired the job under epoch " + taken[1] + " after "
        + failoverMs + " ms (lease " + LEASE_SECONDS + " s)");
    assertThat(taken[0]).as("lease holder after the cut").isEqualTo("node2");
    assertThat(Long.parseLong(taken[1])).as("lease epoch after the cut").isGreaterThan(firstEpoch);
    assertThat(failoverMs).as("failover after the cut").isLessThan(LEASE_SECONDS * 1000L + 8000);

    // node1 reaches PostgreSQL again: it is the preferred node, but node2 keeps a lease it can renew
    node1Database.forward();
    nodes[1].awaitLine(l -> l.contains("node1 lost the scheduler lease (epoch " + firstEpoch + ")"),
        Duration.ofSeconds(20));
    Thread.sleep((LEASE_SECONDS + 4) * 1000L);
    assertThat(lease()).as("lease after node1's database came back").containsExactly(taken);
    TreeMap<Instant, String> all = runs(jobId);
    assertThat(all.tailMap(firedAt).values()).as("runs since the takeover").hasSizeGreaterThanOrEqualTo(3)
        .containsOnly("node2@" + taken[1]);

    // each instant ran at most once (one row per instant); only the outage missed any
    assertThat(db.count("SELECT count(*) FROM job_runs WHERE job_id = ?::uuid AND trigger = 'schedule'", jobId))
        .isEqualTo(all.size());
    List<Instant> missing = consecutiveGaps(all);
    assertThat(missing).as("instants missed outside the outage")
        .allMatch(t -> !t.isBefore(cutAt.minusSeconds(2)) && !t.isAfter(firedAt));
    assertThat(db.count("SELECT count(*) FROM job_runs WHERE node_id = 'node0'")).as("runs claimed by node0").isZero();
    assertThat(nodes[0].output()).as("node0's log").noneMatch(l -> l.contains("leads the scheduler"));
    figures.add("LeadershipIT: " + all.size() + " instants each run once; " + missing.size()
        + " missed while nobody could claim");
  }

  /** holder and epoch of the lease row. */
  private String[] lease() throws Exception {
    try (Connection c = db.connect(); var st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT holder, epoch FROM scheduler_lease")) {
      rs.next();
      return new String[] {rs.getString(1), rs.getString(2)};
    }
  }

  private void awaitLease(String holder, Duration timeout) throws Exception {
    Instant deadline = Instant.now().plus(timeout);
    while (!holder.equals(lease()[0])) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("the lease is held by " + lease()[0] + ", not " + holder + ", after " + timeout);
      }
      Thread.sleep(200);
    }
  }

  /** Scheduled runs of the job: instant → "node@epoch". */
  private TreeMap<Instant, String> runs(String jobId) throws Exception {
    TreeMap<Instant, String> runs = new TreeMap<>();
    try (Connection c = db.connect(); var st = c.prepareStatement(
        "SELECT scheduled_for, node_id, epoch FROM job_runs WHERE job_id = ?::uuid AND trigger = 'schedule'")) {
      st.setObject(1, UUID.fromString(jobId));
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          runs.put(rs.getObject(1, OffsetDateTime.class).toInstant(), rs.getString(2) + "@" + rs.getLong(3));
        }
      }
    }
    return runs;
  }

  /** Instants of the 2-second schedule between the first and the last run that have no run. */
  private static List<Instant> consecutiveGaps(TreeMap<Instant, String> runs) {
    List<Instant> missing = new ArrayList<>();
    for (Instant t = runs.firstKey().plusSeconds(2); t.isBefore(runs.lastKey()); t = t.plusSeconds(2)) {
      if (!runs.containsKey(t)) {
        missing.add(t);
      }
    }
    return missing;
  }

  /** When the first run claimed under an epoch above the given one was created. */
  private Instant firstRunAfter(String jobId, long epoch, Duration timeout) throws Exception {
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      try (Connection c = db.connect(); var st = c.prepareStatement(
          "SELECT min(created_at) FROM job_runs WHERE job_id = ?::uuid AND trigger = 'schedule' AND epoch > ?")) {
        st.setObject(1, UUID.fromString(jobId));
        st.setLong(2, epoch);
        try (ResultSet rs = st.executeQuery()) {
          if (rs.next() && rs.getObject(1) != null) {
            return rs.getObject(1, OffsetDateTime.class).toInstant();
          }
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no run under an epoch above " + epoch + " within " + timeout + "; lease "
        + String.join("@", lease()));
  }
}
