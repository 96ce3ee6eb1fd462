package notifications.channels;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.authentication.UsernamePasswordCredentials;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import notifications.NotificationRepository.Recipient;

/**
 * SMS through a Twilio-compatible Messages API: a form POST with basic auth. A refusal that is about the number
 * (invalid, not a mobile, opted out) fails the delivery and has the member updated ({@link TwilioError}).
 */
public final class SmsChannel implements NotificationChannel {

  private final WebClient client;
  private final String url;
  private final String accountSid;
  private final String authToken;
  private final String from;
  private final long timeoutMs;

  public SmsChannel(WebClient client, JsonObject sms, long timeoutMs) {
    this.client = client;
    this.accountSid = sms.getString("accountSid", "");
    this.url = HttpStatus.endpoint(sms.getString("url", ""), "/2010-04-01/Accounts/" + accountSid + "/Messages.json");
    this.authToken = sms.getString("authToken", "");
    this.from = sms.getString("from", "");
    this.timeoutMs = timeoutMs;
  }

  @Override
  public Future<Void> send(Recipient to, Rendered message) {
    if (to.phone() == null || to.phone().isBlank()) {
      return Future.failedFuture(DeliveryException.permanent("the member has no phone number"));
    }
    MultiMap form = MultiMap.caseInsensitiveMultiMap().add("To", to.phone()).add("From", from)
        .add("Body", message.shortText());
    return client.postAbs(url).timeout(timeoutMs)
        .authentication(new UsernamePasswordCredentials(accountSid, authToken))
        .sendForm(form)
        .recover(error -> HttpStatus.unreachable("SMS provider", error).mapEmpty())
        .compose(response -> outcome(response, to.phone()));
  }

  /** A refusal about the number itself also has the member's phone or channels updated ({@link TwilioError}). */
  private static Future<Void> outcome(HttpResponse<Buffer> response, String phone) {
    StaleContact.Kind about = TwilioError.aboutTheNumber(response.statusCode(), response.bodyAsString());
    if (about != null) {
      return Future.failedFuture(DeliveryException.staleContact(HttpStatus.answered("SMS provider", response)
          + " - " + TwilioError.meaning(about), new StaleContact(about, phone)));
    }
    return HttpStatus.outcome("SMS provider", response);
  }
}
