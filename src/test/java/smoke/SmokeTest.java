package smoke;

import org.junit.jupiter.api.Test;
import support.ApiTestBase;

import static org.assertj.core.api.Assertions.assertThat;

class SmokeTest extends ApiTestBase {
  @Test
  void bookAnEvent() {
    var event = createEvent(1, 0);
    var res = book(member(), event.getString("id"));
    assertThat(res.status()).as(res.toString()).isEqualTo(201);
    assertProblem(book(member(), event.getString("id")), 409, "event_full");
  }
}
