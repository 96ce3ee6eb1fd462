package web;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class JsonTimeTest {

  @Test
  void writesWhatIsoInstantWrites() {
    SplittableRandom random = new SplittableRandom(42);
    long min = Instant.parse("0000-01-01T00:00:00Z").getEpochSecond();
    long max = Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();
    for (int i = 0; i < 200_000; i++) {
      long second = random.nextLong(min, max + 1);
      int nano = switch (i % 4) {
        case 0 -> 0;
        case 1 -> random.nextInt(1000) * 1_000_000;   // milliseconds
        case 2 -> random.nextInt(1_000_000) * 1_000;  // microseconds, as PostgreSQL stores them
        default -> random.nextInt(1_000_000_000);
      };
      ZoneOffset offset = ZoneOffset.ofTotalSeconds(random.nextInt(-18 * 3600, 18 * 3600 + 1) / 60 * 60);
      OffsetDateTime t = Instant.ofEpochSecond(second, nano).atOffset(offset);
      assertThat(Json.time(t)).as("%s", t).isEqualTo(DateTimeFormatter.ISO_INSTANT.format(t.toInstant()));
    }
  }

  @Test
  void edgesAndNull() {
    for (String text : new String[] {"1970-01-01T00:00:00Z", "2026-03-29T01:00:00.000001Z", "2024-02-29T23:59:59.999Z",
        "9999-12-31T23:59:59.999999999Z", "0000-01-01T00:00:00Z", "+10000-01-01T00:00:00Z", "-0001-12-31T00:00:00Z"}) {
      Instant instant = Instant.parse(text);
      assertThat(Json.time(instant.atOffset(ZoneOffset.ofHours(5)))).isEqualTo(DateTimeFormatter.ISO_INSTANT.format(instant));
    }
    assertThat(Json.time(null)).isNull();
    assertThat(Json.time(OffsetDateTime.parse("2026-11-26T10:15:30+01:00"))).isEqualTo("2026-11-26T09:15:30Z");
  }
}
