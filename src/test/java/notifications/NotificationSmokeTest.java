package notifications;

import org.junit.jupiter.api.Test;
import support.NotificationTestBase;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class NotificationSmokeTest extends NotificationTestBase {

  @Test
  void aBookingIsMailed() throws Exception {
    var event = createEvent(5, 0);
    var member = member();
    assertThat(book(member, event.getString("id")).status()).isEqualTo(201);
    eventually(Duration.ofSeconds(20), "the confirmation mail", () -> smtp.getReceivedMessages().length == 1);
    var mail = smtp.getReceivedMessages()[0];
    assertThat(mail.getAllRecipients()[0].toString()).isEqualTo(member.json().getString("email"));
    assertThat(mail.getSubject()).contains("Spin class");
  }
}
