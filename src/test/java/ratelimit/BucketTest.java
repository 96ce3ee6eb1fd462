package ratelimit;

import auth.Caller;
import io.vertx.core.http.HttpMethod;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The bucket's arithmetic and the classes of operation, with a clock of the test's choosing. */
class BucketTest {

  @Test
  void theWholeQuotaAtOnceThenAnEvenRefill() {
    Bucket bucket = new Bucket(60, 0);
    for (int i = 0; i < 60; i++) {
      assertThat(bucket.take(1, 60, 600, 0)).isEqualTo(1);
    }
    assertThat(bucket.take(1, 60, 600, 0)).isZero();
    assertThat(bucket.secondsUntilNext(60, 600)).isEqualTo(10);
    assertThat(bucket.secondsUntilFull(60, 600)).isEqualTo(600);
    assertThat(bucket.take(1, 60, 600, 9_999)).as("not quite one token back").isZero();
    assertThat(bucket.take(1, 60, 600, 10_000)).isEqualTo(1);
    assertThat(bucket.take(5, 60, 600, 3_600_000)).as("never more than the quota").isEqualTo(5);
    assertThat(bucket.remaining()).isEqualTo(55);
  }

  @Test
  void aReservationTakesWhatIsLeftAndNoMore() {
    Bucket bucket = new Bucket(10, 0);
    assertThat(bucket.take(8, 10, 60, 0)).isEqualTo(8);
    assertThat(bucket.take(8, 10, 60, 0)).isEqualTo(2);
    assertThat(bucket.take(8, 10, 60, 0)).isZero();
  }

  @Test
  void classesOfOperation() {
    RatePolicies policies = new RatePolicies(new RatePolicy("booking", 60, 600), new RatePolicy("write", 120, 60),
        new RatePolicy("read", 600, 60), new RatePolicy("admin", 3000, 60), new RatePolicy("anonymous", 60, 60));
    Caller member = new Caller("iss", "m", Set.of("member"), "id");
    Caller admin = new Caller("iss", "a", Set.of("admin"), null);
    assertThat(policies.of(member, HttpMethod.POST, "/v1/bookings").name()).isEqualTo("booking");
    assertThat(policies.of(member, HttpMethod.DELETE, "/v1/bookings/abc").name()).isEqualTo("booking");
    assertThat(policies.of(member, HttpMethod.POST, "/v1/bookings/abc/check-in").name()).isEqualTo("write");
    assertThat(policies.of(member, HttpMethod.PATCH, "/v1/members/abc").name()).isEqualTo("write");
    assertThat(policies.of(member, HttpMethod.GET, "/v1/bookings").name()).isEqualTo("read");
    assertThat(policies.of(admin, HttpMethod.POST, "/v1/bookings").name()).isEqualTo("admin");
    assertThat(new RatePolicy("booking", 60, 600).reservation()).isEqualTo(1);
    assertThat(new RatePolicy("read", 600, 60).reservation()).isEqualTo(10);
  }
}
