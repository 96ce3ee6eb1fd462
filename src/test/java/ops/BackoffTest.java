package ops;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackoffTest {

  @Test
  void delaysGrowExponentiallyWithinJitterBoundsUpToTheCap() {
    for (int run = 0; run < 200; run++) {
      Backoff backoff = new Backoff(500, 15_000);
      long step = 500;
      for (int i = 0; i < 12; i++) {
        long delay = backoff.nextDelayMs();
        assertThat(delay).as("retry %d", i).isBetween(step / 2, step);
        step = Math.min(15_000, step * 2);
      }
    }
  }

  @Test
  void theCapHoldsAfterManyFailures() {
    Backoff backoff = new Backoff(1, 1000);
    for (int i = 0; i < 10_000; i++) {
      assertThat(backoff.nextDelayMs()).isBetween(0L, 1000L);
    }
    assertThat(backoff.nextDelayMs()).isGreaterThanOrEqualTo(500);
  }

  @Test
  void clientsThatFailTogetherRetryAtSpreadInstants() {
    // 100 clients lose the same node at the same moment: their third retries do not coincide
    Set<Long> third = new HashSet<>();
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int client = 0; client < 100; client++) {
      Backoff backoff = new Backoff(500, 15_000);
      backoff.nextDelayMs();
      backoff.nextDelayMs();
      long delay = backoff.nextDelayMs();
      third.add(delay);
      min = Math.min(min, delay);
      max = Math.max(max, delay);
    }
    assertThat(third).as("distinct delays among 100 clients").hasSizeGreaterThan(50);
    assertThat(max - min).as("spread of the third delay (step 2000 ms)").isGreaterThan(500);
  }

  @Test
  void resetStartsAgainFromTheInitialDelay() {
    Backoff backoff = new Backoff(500, 15_000);
    for (int i = 0; i < 8; i++) {
      backoff.nextDelayMs();
    }
    assertThat(backoff.nextDelayMs()).isGreaterThanOrEqualTo(7_500);
    backoff.reset();
    assertThat(backoff.nextDelayMs()).isBetween(250L, 500L);
  }

  @Test
  void refusesNonsense() {
    assertThatThrownBy(() -> new Backoff(0, 10)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Backoff(100, 10)).isInstanceOf(IllegalArgumentException.class);
  }
}
