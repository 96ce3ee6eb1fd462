package schedules;

import cron.Task;
import cron.tasks.GenerateScheduleTask;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import support.Api;
import support.ApiTestBase;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static java.time.DayOfWeek.MONDAY;
import static java.time.DayOfWeek.SUNDAY;
import static java.time.DayOfWeek.WEDNESDAY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * generate_schedule: the pure occurrence computation (wall-clock time across daylight-saving changes, the validity
 * and weeksAhead bounds), and the task run against the database (idempotent, deleted schedules generate nothing).
 */
class GenerateScheduleTaskTest extends ApiTestBase {

  private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
  private static final LocalTime SIX_PM = LocalTime.of(18, 0);
  private static final Set<DayOfWeek> MON_WED = Set.of(MONDAY, WEDNESDAY);

  private Pool pool;

  /** The service's own scheduler stays off: only the runs of this test generate events. */
  @Override
  protected java.util.Map<String, String> serviceSettings() {
    return java.util.Map.of("ROSTER_SCHEDULER_ENABLED", "false");
  }

  @BeforeAll
  void openPool() {
    pool = PgBuilder.pool().connectingTo(PgConnectOptions.fromUri(db.url())).using(app.vertx()).build();
  }

  @AfterAll
  void closePool() throws Exception {
    if (pool != null) {
      pool.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  // ----- the pure computation -------------------------------------------------------------------

  @Test
  void springForwardKeeps18HundredLocalAndTheOffsetMovesFromPlusOneToPlusTwo() {
    // 2027-03-22 is a Monday; clocks go forward on Sunday 2027-03-28
    List<Instant> starts = GenerateScheduleTask.occurrences(BERLIN, MON_WED, SIX_PM, LocalDate.of(2027, 1, 1), null,
        LocalDate.of(2027, 3, 22), 1);

    assertThat(starts).containsExactly(
        Instant.parse("2027-03-22T17:00:00Z"),
        Instant.parse("2027-03-24T17:00:00Z"),
        Instant.parse("2027-03-29T16:00:00Z"));
    assertThat(offsets(starts)).containsExactly("+01:00", "+01:00", "+02:00");
    assertAllLocal(starts, SIX_PM);
  }

  @Test
  void fallBackKeeps18HundredLocalAndTheOffsetMovesFromPlusTwoToPlusOne() {
    // 2027-10-25 is a Monday; clocks go back on Sunday 2027-10-31
    List<Instant> starts = GenerateScheduleTask.occurrences(BERLIN, MON_WED, SIX_PM, LocalDate.of(2027, 1, 1), null,
        LocalDate.of(2027, 10, 25), 2);

    assertThat(starts).containsExactly(
        Instant.parse("2027-10-25T16:00:00Z"),
        Instant.parse("2027-10-27T16:00:00Z"),
        Instant.parse("2027-11-01T17:00:00Z"),
        Instant.parse("2027-11-03T17:00:00Z"),
        Instant.parse("2027-11-08T17:00:00Z"));
    assertThat(offsets(starts)).containsExactly("+02:00", "+02:00", "+01:00", "+01:00", "+01:00");
    assertAllLocal(starts, SIX_PM);
  }

  @Test
  void aWholeYearIsAlways18HundredLocal() {
    List<Instant> starts = GenerateScheduleTask.occurrences(BERLIN, MON_WED, SIX_PM, LocalDate.of(2027, 1, 1), null,
        LocalDate.of(2027, 1, 4), 52);
    assertThat(starts).hasSize(105);
    assertAllLocal(starts, SIX_PM);
    assertThat(offsets(starts)).containsOnly("+01:00", "+02:00");
  }

  @Test
  void aLocalTimeInTheSpringGapMovesLaterByTheGapAndAnAmbiguousOneTakesTheEarlierOffset() {
    LocalTime halfPastTwo = LocalTime.of(2, 30);
    // Sunday 2027-03-28: 02:00-03:00 does not exist in Berlin, 02:30 becomes 03:30 CEST
    assertThat(GenerateScheduleTask.occurrences(BERLIN, Set.of(SUNDAY), halfPastTwo, LocalDate.of(2027, 3, 28),
        LocalDate.of(2027, 3, 28), LocalDate.of(2027, 3, 22), 1))
        .containsExactly(Instant.parse("2027-03-28T01:30:00Z"));
    // Sunday 2027-10-31: 02:30 happens twice; the first (CEST, +02:00) is taken
    assertThat(GenerateScheduleTask.occurrences(BERLIN, Set.of(SUNDAY), halfPastTwo, LocalDate.of(2027, 10, 31),
        LocalDate.of(2027, 10, 31), LocalDate.of(2027, 10, 25), 1))
        .containsExactly(Instant.parse("2027-10-31T00:30:00Z"));
  }

  @Test
  void validFromAndValidUntilBoundTheDates() {
    LocalDate today = LocalDate.of(2027, 3, 22);
    // starts later than today: from validFrom (Wed 24th); ends before the window's end: through validUntil (Mon 5 Apr)
    assertThat(GenerateScheduleTask.occurrences(BERLIN, MON_WED, SIX_PM, LocalDate.of(2027, 3, 24),
        LocalDate.of(2027, 4, 5), today, 4))
        .containsExactly(
            Instant.parse("2027-03-24T17:00:00Z"),
            Instant.parse("2027-03-29T16:00:00Z"),
            Instant.parse("2027-03-31T16:00:00Z"),
            Instant.parse("2027-04-05T16:00:00Z"));
    // validFrom and validUntil are inclusive
    assertThat(GenerateScheduleTask.occurrences(BERLIN, MON_WED, SIX_PM, LocalDate.of(2027, 3, 29),
        LocalDate.of(2027, 3, 29), today, 4))
        .containsExactly(Instant.parse("2027-03-29T16:00:00Z"));
    // validFrom in the past: from today
    assertThat(GenerateScheduleTask.occurrences(BERLIN, MON_WED, SIX_PM, LocalDate.of(2020, 1, 1), null, today, 1))
        .first().isEqualTo(Instant.parse("2027-03-22T17:00:00Z"));
    // ended before today, or starting after the window: nothing
    assertThat(GenerateScheduleTask.occurrences(BERLIN, MON_WED, SIX_PM, LocalDate.of(2027, 1, 1),
        LocalDate.of(2027, 3, 21), today, 4)).isEmpty();
    assertThat(GenerateScheduleTask.occurrences(BERLIN, MON_WED, SIX_PM, LocalDate.of(2027, 4, 20), null, today, 4))
        .isEmpty();
    // no chosen weekday inside the validity
    assertThat(GenerateScheduleTask.occurrences(BERLIN, MON_WED, SIX_PM, LocalDate.of(2027, 3, 25),
        LocalDate.of(2027, 3, 28), today, 4)).isEmpty();
  }

  @Test
  void weeksAheadBoundsTheWindowFromTodayThroughTodayPlusSevenTimesWeeksAheadDays() {
    Set<DayOfWeek> everyDay = Set.of(DayOfWeek.values());
    LocalDate today = LocalDate.of(2027, 3, 22);
    for (int weeks : new int[] {1, 2, 4, 8}) {
      List<Instant> starts = GenerateScheduleTask.occurrences(ZoneOffset.UTC, everyDay, LocalTime.NOON,
          LocalDate.of(2027, 1, 1), null, today, weeks);
      assertThat(starts).as(weeks + " weeks").hasSize(7 * weeks + 1);
      assertThat(starts.get(0)).isEqualTo(Instant.parse("2027-03-22T12:00:00Z"));
      assertThat(starts.get(starts.size() - 1)).isEqualTo(today.plusDays(7L * weeks).atTime(12, 0).toInstant(ZoneOffset.UTC));
    }
    // Mondays and Wednesdays over 4 weeks from a Monday: 5 Mondays (today and +28 days), 4 Wednesdays
    assertThat(GenerateScheduleTask.occurrences(BERLIN, MON_WED, SIX_PM, LocalDate.of(2027, 1, 1), null, today, 4))
        .hasSize(9);
  }

  @Test
  void occurrencesOfAScheduleRecordUseItsZone() {
    Schedule s = new Schedule(java.util.UUID.randomUUID(), "x", null, null, 1, 0, "America/New_York",
        List.of(DayOfWeek.FRIDAY), LocalTime.of(7, 15), 45, LocalDate.of(2027, 3, 1), LocalDate.of(2027, 3, 19), null,
        null);
    // US clocks go forward on 2027-03-14
    assertThat(GenerateScheduleTask.occurrences(s, LocalDate.of(2027, 3, 8), 4)).containsExactly(
        Instant.parse("2027-03-12T12:15:00Z"),
        Instant.parse("2027-03-19T11:15:00Z"));
  }

  @Test
  void anInvalidWeeksAheadFailsTheRun() {
    GenerateScheduleTask task = new GenerateScheduleTask();
    assertThat(task.name()).isEqualTo("generate_schedule");
    assertThat(task.defaults()).isEqualTo(new JsonObject().put("weeksAhead", 4));
    for (Object bad : List.of(0, -1, 53, 1.5, "4")) {
      Context ctx = new Context(pool, new JsonObject().put("weeksAhead", bad));
      assertThatThrownBy(() -> run(task, ctx)).as(String.valueOf(bad)).hasMessageContaining("weeksAhead");
    }
  }

  // ----- against the database -------------------------------------------------------------------

  @Test
  void runningTwiceCreatesEachEventOnceAtLocalTimeAndDeletedSchedulesGenerateNothing() throws Exception {
    JsonObject berlin = createSchedule(new JsonObject().put("title", "Evening yoga").put("trainerId", trainer.id())
        .put("location", "Studio 2").put("capacity", 12).put("waitlistCapacity", 3).put("timezone", "Europe/Berlin")
        .put("daysOfWeek", new JsonArray().add("MON").add("WED")).put("startTime", "18:00").put("durationMinutes", 60)
        .put("validFrom", "2027-03-01"));
    JsonObject newYork = createSchedule(new JsonObject().put("title", "Early spin").put("capacity", 8)
        .put("timezone", "America/New_York").put("daysOfWeek", new JsonArray().add("FRI")).put("startTime", "07:15")
        .put("durationMinutes", 45).put("validFrom", "2027-03-22").put("validUntil", "2027-04-02"));
    JsonObject deleted = createSchedule(new JsonObject().put("title", "Cancelled series").put("capacity", 5)
        .put("timezone", "Europe/Berlin").put("daysOfWeek", new JsonArray().add("MON").add("TUE").add("WED").add("THU")
            .add("FRI").add("SAT").add("SUN")).put("startTime", "12:00").put("durationMinutes", 30)
        .put("validFrom", "2027-01-01"));
    Api.Res del = api.delete("/v1/schedules/" + deleted.getString("id"), admin.token());
    assertThat(del.status()).as(del.toString()).isEqualTo(204);

    // Monday 2027-03-22, 10:00 UTC; Berlin springs forward on the 28th, New York did on the 14th
    GenerateScheduleTask task = new GenerateScheduleTask(new ScheduleRepository(),
        Clock.fixed(Instant.parse("2027-03-22T10:00:00Z"), ZoneOffset.UTC));
    long active = db.count("SELECT count(*) FROM schedules WHERE deleted_at IS NULL");

    Context first = new Context(pool, task.defaults());
    String summary = run(task, first);

    long berlinEvents = eventsOf(berlin.getString("id"));
    long newYorkEvents = eventsOf(newYork.getString("id"));
    assertThat(berlinEvents).isEqualTo(9); // 5 Mondays (22 Mar .. 19 Apr) and 4 Wednesdays
    assertThat(newYorkEvents).isEqualTo(2); // 26 Mar, 2 Apr
    assertThat(eventsOf(deleted.getString("id"))).isZero();
    long created = berlinEvents + newYorkEvents;
    assertThat(summary).isEqualTo(created + " events created for " + active + " schedules");
    assertThat(first.logs).isNotEmpty();
    assertThat(first.logs.get(first.logs.size() - 1)).startsWith(summary);

    // the Berlin class: 18:00 local every time, +01:00 before the change and +02:00 after
    List<Instant> berlinStarts = starts(berlin.getString("id"));
    assertThat(berlinStarts).containsExactly(
        Instant.parse("2027-03-22T17:00:00Z"), Instant.parse("2027-03-24T17:00:00Z"),
        Instant.parse("2027-03-29T16:00:00Z"), Instant.parse("2027-03-31T16:00:00Z"),
        Instant.parse("2027-04-05T16:00:00Z"), Instant.parse("2027-04-07T16:00:00Z"),
        Instant.parse("2027-04-12T16:00:00Z"), Instant.parse("2027-04-14T16:00:00Z"),
        Instant.parse("2027-04-19T16:00:00Z"));
    assertAllLocal(berlinStarts, SIX_PM);
    assertThat(starts(newYork.getString("id"))).containsExactly(
        Instant.parse("2027-03-26T11:15:00Z"), Instant.parse("2027-04-02T11:15:00Z"));
    assertThat(db.count("SELECT count(*) FROM events WHERE schedule_id = ?::uuid "
        + "AND to_char(starts_at AT TIME ZONE 'America/New_York', 'HH24:MI') = '07:15'", newYork.getString("id")))
        .isEqualTo(2);

    // every field comes from the schedule
    assertThat(db.count("SELECT count(*) FROM events WHERE schedule_id = ?::uuid AND title = 'Evening yoga' "
            + "AND trainer_id = ?::uuid AND location = 'Studio 2' AND capacity = 12 AND waitlist_capacity = 3 "
            + "AND ends_at = starts_at + interval '60 minutes' AND status = 'scheduled' AND booked_count = 0 "
            + "AND to_char(starts_at AT TIME ZONE 'Europe/Berlin', 'HH24:MI') = '18:00'",
        berlin.getString("id"), trainer.id())).isEqualTo(9);
    assertThat(db.count("SELECT count(*) FROM events WHERE schedule_id = ?::uuid AND title = 'Early spin' "
            + "AND trainer_id IS NULL AND location IS NULL AND capacity = 8 AND waitlist_capacity = 0 "
            + "AND ends_at = starts_at + interval '45 minutes'", newYork.getString("id"))).isEqualTo(2);

    // the events are ordinary events of the API
    Api.Res listed = api.get("/v1/events?from=2027-03-22T00:00:00Z&to=2027-03-23T00:00:00Z", member().token());
    assertThat(listed.status()).as(listed.toString()).isEqualTo(200);
    JsonObject event = listed.items().stream().map(o -> (JsonObject) o)
        .filter(e -> e.getString("title").equals("Evening yoga")).findFirst().orElseThrow();
    assertThat(event.getString("startsAt")).isEqualTo("2027-03-22T17:00:00Z");
    assertThat(event.getString("endsAt")).isEqualTo("2027-03-22T18:00:00Z");
    assertThat(event.getString("trainerId")).isEqualTo(trainer.id());
    assertThat(event.getInteger("seatsLeft")).isEqualTo(12);

    // again: nothing new
    long generated = db.count("SELECT count(*) FROM events WHERE schedule_id IS NOT NULL");
    Context second = new Context(pool, task.defaults());
    assertThat(run(task, second)).isEqualTo("0 events created for " + active + " schedules");
    assertThat(eventsOf(berlin.getString("id"))).isEqualTo(9);
    assertThat(eventsOf(newYork.getString("id"))).isEqualTo(2);
    assertThat(db.count("SELECT count(*) FROM events WHERE schedule_id IS NOT NULL")).isEqualTo(generated);
    assertThat(db.count("SELECT count(*) FROM (SELECT schedule_id, starts_at FROM events "
        + "WHERE schedule_id IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1) d")).isZero();

    // a week later, with more weeks ahead: only the new dates are added
    GenerateScheduleTask later = new GenerateScheduleTask(new ScheduleRepository(),
        Clock.fixed(Instant.parse("2027-03-29T10:00:00Z"), ZoneOffset.UTC));
    run(later, new Context(pool, new JsonObject().put("weeksAhead", 5)));
    // through 3 May: Mondays 29 Mar .. 3 May (6) and Wednesdays 31 Mar .. 28 Apr (5), plus the two of 22/24 Mar
    assertThat(eventsOf(berlin.getString("id"))).isEqualTo(13);
    assertAllLocal(starts(berlin.getString("id")), SIX_PM);
    assertThat(eventsOf(newYork.getString("id"))).isEqualTo(2);
    assertThat(eventsOf(deleted.getString("id"))).isZero();
  }

  @Test
  void deletingAScheduleStopsItsGenerationButKeepsItsEvents() throws Exception {
    JsonObject daily = createSchedule(new JsonObject().put("title", "Daily stretch").put("capacity", 4)
        .put("timezone", "Europe/Berlin").put("daysOfWeek", new JsonArray().add("MON").add("TUE").add("WED").add("THU")
            .add("FRI").add("SAT").add("SUN")).put("startTime", "07:00").put("durationMinutes", 20)
        .put("validFrom", "2027-06-01"));
    String id = daily.getString("id");
    run(new GenerateScheduleTask(new ScheduleRepository(),
        Clock.fixed(Instant.parse("2027-06-01T12:00:00Z"), ZoneOffset.UTC)), new Context(pool,
        new JsonObject().put("weeksAhead", 1)));
    assertThat(eventsOf(id)).isEqualTo(8); // 1 .. 8 June
    assertAllLocal(starts(id), LocalTime.of(7, 0));

    Api.Res del = api.delete("/v1/schedules/" + id, admin.token());
    assertThat(del.status()).as(del.toString()).isEqualTo(204);
    run(new GenerateScheduleTask(new ScheduleRepository(),
        Clock.fixed(Instant.parse("2027-06-05T12:00:00Z"), ZoneOffset.UTC)), new Context(pool,
        new JsonObject().put("weeksAhead", 2)));

    assertThat(eventsOf(id)).isEqualTo(8);
    assertThat(db.count("SELECT count(*) FROM events WHERE schedule_id = ?::uuid AND status = 'scheduled' "
        + "AND starts_at > '2027-06-08T12:00:00Z'", id)).isZero();
  }

  // ----- helpers --------------------------------------------------------------------------------

  /** A TaskContext over the test's pool that keeps the log lines. */
  private static final class Context implements Task.TaskContext {
    final Pool pool;
    final JsonObject payload;
    final List<String> logs = new CopyOnWriteArrayList<>();

    Context(Pool pool, JsonObject payload) {
      this.pool = pool;
      this.payload = payload;
    }

    @Override
    public Pool pool() {
      return pool;
    }

    @Override
    public JsonObject payload() {
      return payload;
    }

    @Override
    public void log(String message) {
      logs.add(message);
    }
  }

  private static String run(GenerateScheduleTask task, Context context) throws Exception {
    try {
      return task.run(context).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw (Exception) e.getCause();
    }
  }

  private JsonObject createSchedule(JsonObject body) {
    Api.Res res = api.post("/v1/schedules", admin.token(), body);
    assertThat(res.status()).as(res.toString()).isEqualTo(201);
    return res.json();
  }

  private long eventsOf(String scheduleId) {
    return db.count("SELECT count(*) FROM events WHERE schedule_id = ?::uuid", scheduleId);
  }

  private List<Instant> starts(String scheduleId) throws SQLException {
    List<Instant> out = new ArrayList<>();
    try (Connection c = db.connect();
         var st = c.prepareStatement("SELECT starts_at FROM events WHERE schedule_id = ?::uuid ORDER BY starts_at")) {
      st.setString(1, scheduleId);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getObject(1, java.time.OffsetDateTime.class).toInstant());
        }
      }
    }
    return out;
  }

  private static List<String> offsets(List<Instant> starts) {
    return starts.stream().map(i -> i.atZone(BERLIN).getOffset().getId()).toList();
  }

  private static void assertAllLocal(List<Instant> starts, LocalTime local) {
    for (Instant start : starts) {
      ZonedDateTime berlin = start.atZone(BERLIN);
      assertThat(berlin.toLocalTime()).as(start + " in Berlin").isEqualTo(local);
    }
  }
}
