package db;

import bookings.BookingRepository;
import config.AppConfig;
import events.EventRepository;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import members.MemberRepository;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import support.TestDatabase;
import webhooks.WebhookRepository;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every statement the service can send uses an index on every big table it reads, on a database seeded to
 * production proportions (plans/seed.sql). The statements are found, not listed: the SQL string literals of the
 * compiled main classes (so a new query cannot be forgotten) and the named statements of sql/*.sql. A string built
 * at run time (optional filters, the columns a PATCH sets) cannot be explained from its recipe, so each of its
 * variants is named below and built by the repository itself ({@link SqlRecorder}); a recipe no variant builds
 * fails the test, and so does a variant that matches no recipe.
 *
 * <p>Plans are PostgreSQL's generic ones ({@code plan_cache_mode = force_generic_plan}), which do not depend on the
 * parameters' values: the plan a cached prepared statement gets after its first executions. Writes are explained
 * (not executed) in a transaction that is rolled back.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QueryPlansTest {

  /** A table with this many rows or more is big: a sequential scan of it fails the test. Smaller ones may be read whole. */
  private static final long BIG = 10_000;

  /** SQL strings of the main classes that are not explained, each with its reason. */
  private static final Map<String, String> NOT_EXPLAINED = Map.of(
      "UPDATE flyway_schema_history SET checksum = ? WHERE version = '1' AND checksum IN (?, ?)",
      "db.Migrations: JDBC placeholders, on Flyway's own history table (one row per migration), at start-up only");

  /**
   * Sequential scans of big tables known and left to a change of their own, each found by a piece of its statement,
   * with why. An entry whose statement no longer scans fails the test: delete it.
   */
  private static final Map<String, String> KNOWN_SCANS = Map.of();

  private TestDatabase db;
  private List<SqlStrings.Found> found;
  private final List<String> timings = new ArrayList<>();

  @BeforeAll
  void seed() throws Exception {
    long start = System.nanoTime();
    db = TestDatabase.create("plans");
    Vertx vertx = Vertx.vertx();
    try {
      Migrations.run(vertx, new AppConfig(new JsonObject().put("pg", new JsonObject().put("url", db.url()))))
          .toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    long migrated = System.nanoTime();
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      // foreign keys and triggers are not checked while seeding (every row names rows that exist); superuser only
      st.execute("SET session_replication_role = replica");
      st.execute("SET synchronous_commit = off");
      st.execute(resource("plans/seed.sql"));
    }
    timings.add(String.format("migrated in %.1f s, seeded in %.1f s", (migrated - start) / 1e9,
        (System.nanoTime() - migrated) / 1e9));
    found = SqlStrings.in(mainClasses());
  }

  @AfterAll
  void drop() {
    timings.forEach(System.out::println);
    if (db != null) {
      db.drop();
    }
  }

  @Test
  void everySqlStringIsExplained() throws IOException {
    assertThat(found).as("SQL strings found in %s", mainClasses()).extracting(SqlStrings.Found::className)
        .contains("bookings.BookingRepository", "notifications.NotificationRepository", "cron.CronRepository");
    assertThat(sqlFiles()).containsKey("sql/booking.sql: take_seat");
    List<String> unexplained = new ArrayList<>();
    for (SqlStrings.Found f : found) {
      boolean built = !f.dynamic() || variants().entrySet().stream().anyMatch(v -> v.getValue().stream().anyMatch(f::builds));
      if (!built && !NOT_EXPLAINED.containsKey(f.text())) {
        unexplained.add(f.className() + ": " + readable(f.text()));
      }
    }
    assertThat(unexplained).as("SQL built at run time that no variant of this test builds: add its variants "
        + "to variants()").isEmpty();

    List<String> stale = new ArrayList<>();
    variants().forEach((name, statements) -> statements.stream()
        .filter(sql -> found.stream().noneMatch(f -> f.dynamic() && f.builds(sql)))
        .forEach(sql -> stale.add(name + ": " + readable(sql))));
    assertThat(stale).as("variants that no SQL string of the main classes builds (the query changed?)").isEmpty();
    assertThat(NOT_EXPLAINED.keySet()).as("exceptions still present in the code")
        .allMatch(text -> found.stream().anyMatch(f -> f.text().equals(text)));
  }

  @Test
  void noStatementScansABigTable() throws Exception {
    List<Named> statements = statements();
    List<String> scans = new ArrayList<>();
    List<String> summary = new ArrayList<>();
    Set<String> stillKnown = new TreeSet<>();
    long start = System.nanoTime();
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      st.execute("SET plan_cache_mode = force_generic_plan");
      Set<String> big = bigTables(st);
      assertThat(big).as("tables the seed made big").contains("members", "events", "bookings", "outbox",
          "notification_deliveries", "idempotency_keys", "webhook_deliveries", "job_runs", "task_logs");
      int i = 0;
      for (Named s : statements) {
        JsonObject plan = explain(st, "plan_" + i++, s).getJsonObject(0).getJsonObject("Plan");
        List<String> nodes = new ArrayList<>();
        scans(plan, nodes);
        summary.add(s.name() + "\n    " + String.join("; ", nodes));
        List<String> seqScans = nodes.stream()
            .filter(n -> n.startsWith("Seq Scan on ") && big.contains(n.substring("Seq Scan on ".length()))).toList();
        String known = KNOWN_SCANS.keySet().stream().filter(s.sql()::contains).findFirst().orElse(null);
        if (known != null && !seqScans.isEmpty()) {
          stillKnown.add(known);
        } else {
          seqScans.forEach(n -> scans.add(s.name() + "\n    " + n + "\n    " + s.sql().replaceAll("\\s+", " ")));
        }
      }
      c.rollback();
    }
    KNOWN_SCANS.forEach((piece, why) -> timings.add((stillKnown.contains(piece) ? "known scan, left: " : "GONE: ") + why));
    timings.add(String.format("%d statements explained in %.1f s", statements.size(), (System.nanoTime() - start) / 1e9));
    System.out.println(String.join("\n", summary));
    assertThat(scans).as("statements that read a big table (>= %d rows) whole", BIG).isEmpty();
    assertThat(stillKnown).as("known scans still there (delete the others from KNOWN_SCANS)")
        .containsExactlyInAnyOrderElementsOf(KNOWN_SCANS.keySet());
  }

  /** A statement, and a name that finds it in the code. */
  private record Named(String name, String sql) {
  }

  /**
   * What the code builds at run time, by variant: each built by calling the repository (the values do not matter:
   * only the text is kept). One list per method; each list holds every shape that method can send.
   */
  private static Map<String, List<String>> variants() {
    UUID id = UUID.randomUUID();
    BookingRepository bookings = new BookingRepository();
    EventRepository events = new EventRepository();
    MemberRepository members = new MemberRepository();
    WebhookRepository webhooks = new WebhookRepository();
    Map<String, List<String>> v = new LinkedHashMap<>();
    v.put("BookingRepository.cancel", record(db -> bookings.cancel(db, id)));
    v.put("BookingRepository.release", record(db -> bookings.release(db, id, "waitlisted"),
        db -> bookings.release(db, id, "confirmed")));
    v.put("BookingRepository.promote", record(db -> bookings.promote(db, id, 2)));
    v.put("BookingRepository.cancelAllOfEvent", record(db -> bookings.cancelAllOfEvent(db, id)));
    v.put("BookingRepository.checkIn", record(db -> bookings.checkIn(db, id)));
    v.put("WebhookRepository.queue", record(db -> webhooks.queue(db, "member.created", new JsonObject())));
    // a PATCH sets any subset of the fields: the WHERE clause, the only part planned, is the same for all
    v.put("EventRepository.update", record(db -> events.update(db, id, new JsonObject().put("title", "t")),
        db -> events.update(db, id, new JsonObject().put("title", "t").put("description", "d").put("location", "l")
            .put("startsAt", "2030-01-01T10:00:00Z").put("endsAt", "2030-01-01T11:00:00Z").put("capacity", 10)
            .put("waitlistCapacity", 2))));
    v.put("MemberRepository.update", record(db -> members.update(db, id, new JsonObject().put("name", "n")),
        db -> members.update(db, id, new JsonObject().put("name", "n").put("phone", "+447900000000")
            .put("role", "member").put("status", "active").put("channels", new JsonArray().add("email"))
            .put("pushToken", "t"))));
    return v;
  }

  @SafeVarargs
  private static List<String> record(Consumer<SqlClient>... calls) {
    return Stream.of(calls).flatMap(call -> SqlRecorder.record(call).stream()).toList();
  }

  /** Every statement to explain, each once. */
  private List<Named> statements() throws IOException {
    Map<String, Named> bySql = new LinkedHashMap<>();
    for (SqlStrings.Found f : found) {
      if (!f.dynamic() && !NOT_EXPLAINED.containsKey(f.text())) {
        String simpleName = f.className().substring(f.className().lastIndexOf('.') + 1);
        bySql.putIfAbsent(f.text(), new Named(simpleName + ": " + readable(f.text()), f.text()));
      }
    }
    sqlFiles().forEach((name, sql) -> bySql.putIfAbsent(sql, new Named(name, sql)));
    variants().forEach((name, statements) -> {
      for (int i = 0; i < statements.size(); i++) {
        bySql.putIfAbsent(statements.get(i), new Named(name + " #" + (i + 1) + ": " + readable(statements.get(i)),
            statements.get(i)));
      }
    });
    return List.copyOf(bySql.values());
  }

  /** The named statements of each class-path sql/*.sql file, as the repositories load them (SqlFile). */
  private static Map<String, String> sqlFiles() throws IOException {
    Map<String, String> statements = new LinkedHashMap<>();
    Pattern name = Pattern.compile("^-- name:\\s*(\\S+)", Pattern.MULTILINE);
    try (Stream<Path> files = Files.list(mainClasses().resolve("sql"))) {
      for (Path file : files.filter(f -> f.toString().endsWith(".sql")).sorted().toList()) {
        String resource = "sql/" + file.getFileName();
        SqlFile sql = SqlFile.load(resource);
        Matcher m = name.matcher(Files.readString(file));
        while (m.find()) {
          statements.put(resource + ": " + m.group(1), sql.get(m.group(1)));
        }
      }
    }
    return statements;
  }

  /** The plan PostgreSQL would use for {@code sql} once its prepared statement is cached (a generic plan). */
  private static JsonArray explain(Statement st, String name, Named statement) {
    try {
      return explain(st, name, statement.sql());
    } catch (SQLException e) {
      throw new AssertionError("cannot explain " + statement.name() + ": " + e.getMessage(), e);
    }
  }

  private static JsonArray explain(Statement st, String name, String sql) throws SQLException {
    st.execute("PREPARE " + name + " AS " + sql);
    int params;
    try (ResultSet rs = st.executeQuery("SELECT COALESCE(cardinality(parameter_types), 0) FROM pg_prepared_statements "
        + "WHERE name = '" + name + "'")) {
      rs.next();
      params = rs.getInt(1);
    }
    String args = params == 0 ? "" : "(" + String.join(", ", Collections.nCopies(params, "NULL")) + ")";
    try (ResultSet rs = st.executeQuery("EXPLAIN (FORMAT JSON) EXECUTE " + name + args)) {
      rs.next();
      JsonArray plan = new JsonArray(rs.getString(1));
      st.execute("DEALLOCATE " + name);
      return plan;
    }
  }

  /** Each scan of the plan, as "Seq Scan on t", "Index Scan using i on t", ... */
  private static void scans(JsonObject node, List<String> out) {
    String type = node.getString("Node Type");
    String relation = node.getString("Relation Name");
    String index = node.getString("Index Name");
    if (type.endsWith("Scan") && (relation != null || index != null)) {
      out.add(type + (index == null ? "" : " using " + index) + (relation == null ? "" : " on " + relation));
    }
    JsonArray children = node.getJsonArray("Plans");
    if (children != null) {
      children.forEach(child -> scans((JsonObject) child, out));
    }
  }

  private static Set<String> bigTables(Statement st) throws SQLException {
    Set<String> big = new TreeSet<>();
    try (ResultSet rs = st.executeQuery("SELECT relname FROM pg_class WHERE relkind = 'r' "
        + "AND relnamespace = current_schema()::regnamespace AND reltuples >= " + BIG)) {
      while (rs.next()) {
        big.add(rs.getString(1));
      }
    }
    return big;
  }

  private static Path mainClasses() {
    try {
      return Path.of(SqlFile.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = QueryPlansTest.class.getClassLoader().getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** A statement on one line, holes shown as {}, a long select list left out, cut at 140 characters. */
  private static String readable(String sql) {
    String line = SqlStrings.HOLE.matcher(sql).replaceAll("{}").replaceAll("\\s+", " ").trim();
    Matcher select = Pattern.compile("^SELECT (.{40,}?) FROM ").matcher(line);
    if (select.find()) {
      line = "SELECT ... FROM " + line.substring(select.end());
    }
    return line.length() <= 140 ? line : line.substring(0, 137) + "...";
  }
}
