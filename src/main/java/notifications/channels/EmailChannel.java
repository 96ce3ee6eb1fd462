package notifications.channels;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mail.LoginOption;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailConfig;
import io.vertx.ext.mail.MailMessage;
import io.vertx.ext.mail.SMTPException;
import io.vertx.ext.mail.StartTLSOptions;
import notifications.NotificationRepository.Recipient;

/** E-mail through SMTP (vertx-mail-client): plain text and HTML alternatives. */
public final class EmailChannel implements NotificationChannel {

  private final MailClient client;
  private final String from;
  private final String host;
  private final int port;

  public EmailChannel(Vertx vertx, JsonObject smtp) {
    String username = smtp.getString("username", "");
    MailConfig config = new MailConfig()
        .setHostname(smtp.getString("host"))
        .setPort(Integer.parseInt(String.valueOf(smtp.getValue("port", 25))))
        .setStarttls(StartTLSOptions.valueOf(smtp.getString("startTls", "OPTIONAL").toUpperCase()))
        .setSsl(Boolean.parseBoolean(String.valueOf(smtp.getValue("ssl", false))))
        .setLogin(username.isBlank() ? LoginOption.DISABLED : LoginOption.REQUIRED)
        .setUsername(username.isBlank() ? null : username)
        .setPassword(username.isBlank() ? null : smtp.getString("password"))
        .setConnectTimeout(5000)
        .setKeepAlive(true);
    this.client = MailClient.create(vertx, config);
    this.host = config.getHostname();
    this.port = config.getPort();
    this.from = smtp.getString("from");
  }

  @Override
  public Future<Void> send(Recipient to, Rendered message) {
    if (to.email() == null || to.email().isBlank()) {
      return Future.failedFuture(DeliveryException.permanent("the member has no e-mail address"));
    }
    MailMessage mail = new MailMessage().setFrom(from).setTo(to.email()).setSubject(message.subject())
        .setText(message.text()).setHtml(message.html());
    return tracing.Spans.client("smtp send", "smtp", host, port, () -> client.sendMail(mail)).<Void>mapEmpty()
        .recover(error -> Future.failedFuture(
            error instanceof SMTPException smtp && smtp.isPermanent()
                ? DeliveryException.permanent("SMTP " + smtp.getReplyCode() + ": " + smtp.getReplyMessage())
                : DeliveryException.retry("SMTP: " + error.getMessage())));
  }
}
