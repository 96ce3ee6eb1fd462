package cron;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CronScheduleTest {

  /** All firings in [from, to), following next() as the scheduler does. */
  private static List<ZonedDateTime> firings(CronSchedule schedule, ZonedDateTime from, ZonedDateTime to) {
    List<ZonedDateTime> out = new ArrayList<>();
    Instant cursor = from.toInstant();
    while (true) {
      Instant next = schedule.next(cursor).orElseThrow();
      if (!next.isBefore(to.toInstant())) {
        return out;
      }
      out.add(next.atZone(schedule.zone()));
      cursor = next;
    }
  }

  private static ZonedDateTime at(String zone, String local) {
    return LocalDateTime.parse(local).atZone(ZoneId.of(zone));
  }

  @Test
  void springForwardInBerlinFiresA0230JobOnceShiftedIntoTheNewHour() {
    // 2027-03-28: 02:00 CET becomes 03:00 CEST; 02:30 does not exist that day
    CronSchedule job = CronSchedule.parse("30 2 * * *", "Europe/Berlin");
    List<ZonedDateTime> f = firings(job, at("Europe/Berlin", "2027-03-27T00:00"), at("Europe/Berlin", "2027-03-30T00:00"));
    assertThat(f).extracting(ZonedDateTime::toLocalDateTime).containsExactly(
        LocalDateTime.parse("2027-03-27T02:30"), LocalDateTime.parse("2027-03-28T03:30"),
        LocalDateTime.parse("2027-03-29T02:30"));
  }

  @Test
  void springForwardInNewYorkFiresA0230JobOnce() {
    CronSchedule job = CronSchedule.parse("30 2 * * *", "America/New_York");
    List<ZonedDateTime> f = firings(job, at("America/New_York", "2027-03-14T00:00"), at("America/New_York", "2027-03-15T00:00"));
    assertThat(f).hasSize(1);
    assertThat(f.get(0).toLocalDateTime()).isEqualTo(LocalDateTime.parse("2027-03-14T03:30"));
  }

  @Test
  void fallBackInNewYorkFiresA0130JobOnceTheFirstTime() {
    // 2027-11-07: 01:00-02:00 happens twice (EDT, then EST)
    CronSchedule job = CronSchedule.parse("30 1 * * *", "America/New_York");
    List<ZonedDateTime> f = firings(job, at("America/New_York", "2027-11-07T00:00"), at("America/New_York", "2027-11-08T00:00"));
    assertThat(f).hasSize(1);
    assertThat(f.get(0).getOffset().getTotalSeconds()).isEqualTo(-4 * 3600);
  }

  @Test
  void fallBackInBerlinFiresA0230JobOnce() {
    CronSchedule job = CronSchedule.parse("30 2 * * *", "Europe/Berlin");
    List<ZonedDateTime> f = firings(job, at("Europe/Berlin", "2027-10-31T00:00"), at("Europe/Berlin", "2027-11-01T00:00"));
    assertThat(f).hasSize(1);
  }

  @Test
  void dailyJobKeepsItsLocalTimeAcrossTheChange() {
    CronSchedule job = CronSchedule.parse("0 18 * * *", "Europe/Berlin");
    List<ZonedDateTime> f = firings(job, at("Europe/Berlin", "2027-03-26T00:00"), at("Europe/Berlin", "2027-03-30T00:00"));
    assertThat(f).extracting(z -> z.toLocalTime().toString()).containsOnly("18:00");
    assertThat(f).hasSize(4);
  }

  @Test
  void leapDayJobWaitsForTheNextLeapYear() {
    CronSchedule job = CronSchedule.parse("0 12 29 2 *", "UTC");
    assertThat(job.next(Instant.parse("2027-01-01T00:00:00Z"))).contains(Instant.parse("2028-02-29T12:00:00Z"));
  }

  @Test
  void everyWeekdaySkipsTheWeekend() {
    CronSchedule job = CronSchedule.parse("0 9 * * MON-FRI", "Europe/Berlin");
    // 2027-01-01 is a Friday
    List<ZonedDateTime> f = firings(job, at("Europe/Berlin", "2027-01-01T00:00"), at("Europe/Berlin", "2027-01-08T00:00"));
    assertThat(f).extracting(z -> z.getDayOfWeek().toString())
        .containsExactly("FRIDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY");
  }

  @Test
  void sixFieldsWithSeconds() {
    CronSchedule job = CronSchedule.parse("*/10 * * * * *", "UTC");
    assertThat(job.next(Instant.parse("2027-01-01T00:00:05Z"))).contains(Instant.parse("2027-01-01T00:00:10Z"));
    assertThat(job.next(Instant.parse("2027-01-01T00:00:10Z"))).contains(Instant.parse("2027-01-01T00:00:20Z"));
  }

  @Test
  void sundayMidnight() {
    CronSchedule job = CronSchedule.parse("0 0 * * SUN", "UTC");
    assertThat(job.next(Instant.parse("2027-01-01T10:00:00Z"))).contains(Instant.parse("2027-01-03T00:00:00Z"));
  }

  @Test
  void refusesBadExpressionsAndZones() {
    assertThatThrownBy(() -> CronSchedule.parse("not a cron", "UTC")).isInstanceOf(CronSchedule.Invalid.class);
    assertThatThrownBy(() -> CronSchedule.parse("61 * * * *", "UTC")).isInstanceOf(CronSchedule.Invalid.class);
    assertThatThrownBy(() -> CronSchedule.parse("* * * *", "UTC")).isInstanceOf(CronSchedule.Invalid.class);
    assertThatThrownBy(() -> CronSchedule.parse("0 0 * * *", "Mars/Olympus"))
        .isInstanceOfSatisfying(CronSchedule.Invalid.class, e -> assertThat(e.isTimezone()).isTrue());
  }
}
