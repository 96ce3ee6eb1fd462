package logging;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The cached clock prints what the full patterns of the text and JSON lines printed before it, to the character. */
class LineClockTest {

  @Test
  void textLinesTimeIsLogbacksHourToMillisecondInTheLocalZone() {
    DateTimeFormatter full = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneId.systemDefault());
    sameAs(LineClock.localTime(), full, 1_764_600_000_000L);
  }

  @Test
  void jsonTimestampIsIsoInUtcToTheMillisecond() {
    DateTimeFormatter full = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX").withZone(ZoneId.of("UTC"));
    sameAs(LineClock.utcTimestamp(), full, 1_764_600_000_000L);
    assertThat(LineClock.utcTimestamp().format(1_772_373_731_003L)).isEqualTo("2026-03-01T14:02:11.003Z");
  }

  @Test
  void aSummerTimeChangeFallsOnASecondBoundary() {
    ZoneId berlin = ZoneId.of("Europe/Berlin");
    DateTimeFormatter full = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(berlin);
    // 2026-03-29 01:00 UTC: clocks in Berlin go from 02:00 to 03:00
    long change = Instant.parse("2026-03-29T01:00:00Z").toEpochMilli();
    sameAs(new LineClock("HH:mm:ss", berlin, ""), full, change);
  }

  /** Lines in order, with every millisecond around a second's turn, then random jumps both ways. */
  private static void sameAs(LineClock clock, DateTimeFormatter full, long around) {
    for (long t = around - 1500; t <= around + 1500; t++) {
      assertThat(clock.format(t)).as("at %d", t).isEqualTo(full.format(Instant.ofEpochMilli(t)));
    }
    Random random = new Random(42);
    for (int i = 0; i < 10_000; i++) {
      long t = around + (long) (random.nextGaussian() * 86_400_000L * 400);
      assertThat(clock.format(t)).as("at %d", t).isEqualTo(full.format(Instant.ofEpochMilli(t)));
    }
  }
}
