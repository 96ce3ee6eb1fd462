package cron.tasks;

import cron.CronSchedule;
import cron.Task;
import cron.TaskPayload;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import schedules.Schedule;
import schedules.ScheduleRepository;
import schedules.ScheduleRepository.Occurrence;

import java.time.Clock;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * {@code generate_schedule}: turns every weekly schedule (not deleted) into the events of the coming
 * {@code weeksAhead} weeks, at the schedule's local wall-clock time in its time zone, so an 18:00 class stays at
 * 18:00 across daylight-saving changes. Events are keyed by (schedule, start): running it twice, or two runs at
 * once, creates each event once.
 */
public final class GenerateScheduleTask implements Task {

  public static final String NAME = "generate_schedule";
  public static final int DEFAULT_WEEKS_AHEAD = 4;
  /** Occurrences per INSERT statement. */
  private static final int BATCH = 1000;

  private final ScheduleRepository schedules;
  private final Clock clock;

  public GenerateScheduleTask() {
    this(new ScheduleRepository(), Clock.systemUTC());
  }

  public GenerateScheduleTask(ScheduleRepository schedules, Clock clock) {
    this.schedules = schedules;
    this.clock = clock;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public JsonObject defaults() {
    return new JsonObject().put("weeksAhead", DEFAULT_WEEKS_AHEAD);
  }

  @Override
  public Future<String> run(TaskContext context) {
    int weeksAhead;
    try {
      weeksAhead = weeksAhead(context.payload());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    Instant now = clock.instant();
    // no zone is more than a day behind UTC: a schedule that ended before yesterday (UTC) has nothing left
    LocalDate yesterdayUtc = LocalDate.ofInstant(now, ZoneOffset.UTC).minusDays(1);
    return schedules.listActive(context.pool(), yesterdayUtc).compose(active -> {
      List<Occurrence> all = new ArrayList<>();
      int skipped = 0;
      for (Schedule schedule : active) {
        ZoneId zone;
        try {
          zone = CronSchedule.zone(schedule.timezone());
        } catch (CronSchedule.Invalid e) {
          context.log("schedule " + schedule.id() + " skipped: " + e.getMessage());
          skipped++;
          continue;
        }
        Duration length = Duration.ofMinutes(schedule.durationMinutes());
        for (Instant start : occurrences(zone, schedule.daysOfWeek(), schedule.startTime(), schedule.validFrom(),
            schedule.validUntil(), LocalDate.ofInstant(now, zone), weeksAhead)) {
          all.add(new Occurrence(schedule.id(), start, start.plus(length)));
        }
      }
      int considered = active.size() - skipped;
      return insertInBatches(context, all, 0, 0).map(created -> {
        String summary = plural(created, "event") + " created for " + plural(considered, "schedule");
        context.log(summary + " (" + plural(weeksAhead, "week") + " ahead; " + plural(all.size(), "occurrence")
            + " in that window, " + (all.size() - created) + " of them existed already)");
        return summary;
      });
    });
  }

  /**
   * The start instants of a weekly schedule's events on the dates from max(today, validFrom) through
   * min(validUntil, today + 7 * weeksAhead days), both inclusive, on the given weekdays, at {@code startTime} local
   * wall-clock time in {@code zone}. A local time that does not exist (spring forward) moves later by the length of
   * the gap; one that occurs twice (fall back) is the earlier of the two. Sorted, oldest first.
   *
   * @param today today's date in {@code zone}
   */
  public static List<Instant> occurrences(ZoneId zone, Collection<DayOfWeek> days, LocalTime startTime,
                                          LocalDate validFrom, LocalDate validUntil, LocalDate today, int weeksAhead) {
    LocalDate first = validFrom.isAfter(today) ? validFrom : today;
    LocalDate last = today.plusDays(7L * weeksAhead);
    if (validUntil != null && validUntil.isBefore(last)) {
      last = validUntil;
    }
    List<Instant> starts = new ArrayList<>();
    for (LocalDate date = first; !date.isAfter(last); date = date.plusDays(1)) {
      if (days.contains(date.getDayOfWeek())) {
        starts.add(ZonedDateTime.of(date, startTime, zone).toInstant());
      }
    }
    return starts;
  }

  /** {@link #occurrences(ZoneId, Collection, LocalTime, LocalDate, LocalDate, LocalDate, int)} of a schedule. */
  public static List<Instant> occurrences(Schedule schedule, LocalDate today, int weeksAhead) {
    return occurrences(CronSchedule.zone(schedule.timezone()), schedule.daysOfWeek(), schedule.startTime(),
        schedule.validFrom(), schedule.validUntil(), today, weeksAhead);
  }

  static int weeksAhead(JsonObject payload) {
    return TaskPayload.read(payload, TaskPayload.WEEKS_AHEAD, DEFAULT_WEEKS_AHEAD).intValue();
  }

  private Future<Integer> insertInBatches(TaskContext context, List<Occurrence> all, int from, int createdSoFar) {
    if (from >= all.size()) {
      return Future.succeededFuture(createdSoFar);
    }
    int to = Math.min(all.size(), from + BATCH);
    return schedules.insertOccurrences(context.pool(), all.subList(from, to))
        .compose(created -> insertInBatches(context, all, to, createdSoFar + created));
  }

  private static String plural(int n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }
}
