package ops;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Backoff: delays grow exponentially within their jitter band, stop at the cap, spread, and reset. */
class BackoffTest {

  @Test
  void eachDelayLiesBetweenHalfAndAllOfItsExponentialStep() {
    for (int round = 0; round < 200; round++) {
      Backoff backoff = new Backoff(100, 10_000);
      long step = 100;
      for (int i = 0; i < 12; i++) {
        long delay = backoff.nextDelayMs();
        long expected = Math.min(step, 10_000);
        assertThat(delay).as("delay %d", i).isBetween(expected / 2, expected);
        step *= 2;
      }
    }
  }

  @Test
  void delaysStopGrowingAtTheCapAndNeverOverflow() {
    Backoff backoff = new Backoff(500, 15_000);
    for (int i = 0; i < 1_000; i++) {
      long delay = backoff.nextDelayMs();
      if (i >= 10) {
        assertThat(delay).isBetween(7_500L, 15_000L);
      }
    }
  }

  @Test
  void nodesThatFailTogetherDoNotRetryTogether() {
    Set<Long> thirdDelays = new HashSet<>();
    for (int node = 0; node < 50; node++) {
      Backoff backoff = new Backoff(1_000, 60_000);
      backoff.nextDelayMs();
      backoff.nextDelayMs();
      thirdDelays.add(backoff.nextDelayMs());
    }
    // 50 draws from 2,001 values: all alike would mean no jitter at all
    assertThat(thirdDelays).hasSizeGreaterThan(25);
  }

  @Test
  void resetStartsAgainFromTheInitialDelay() {
    Backoff backoff = new Backoff(200, 5_000);
    for (int i = 0; i < 8; i++) {
      backoff.nextDelayMs();
    }
    assertThat(backoff.nextDelayMs()).isGreaterThanOrEqualTo(2_500);
    backoff.reset();
    assertThat(backoff.nextDelayMs()).isBetween(100L, 200L);
  }

  @Test
  void refusesBoundsThatMakeNoSense() {
    assertThatThrownBy(() -> new Backoff(0, 100)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Backoff(500, 100)).isInstanceOf(IllegalArgumentException.class);
  }
}
