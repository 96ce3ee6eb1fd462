package notifications;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import support.LogCapture;
import support.NotificationTestBase;
import support.RosterApp;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No credential reaches a log line, whatever fails: a rejected SMTP login, AMQP URLs that are wrong in every
 * way while carrying a password, a database URL with one. The whole log is captured and searched for the
 * passwords, as written and as the protocols encode them.
 */
class SecretsInLogsTest extends NotificationTestBase {

  private static final String SMTP_USER = "roster-mailer";
  private static final String SMTP_PASSWORD = "Smtp-Pa55-never-logged";
  private static final String AMQP_PASSWORD = "Amqp-Pa55-never-logged";
  private static final String PG_PASSWORD = "Pg-Pa55-never-logged";

  /** Opened with the test instance, so it sees the service start as well. */
  private final LogCapture logs = LogCapture.start();

  @Override
  protected Map<String, String> notificationSettings() {
    Map<String, String> env = super.notificationSettings();
    env.put("ROSTER_SMTP_USERNAME", SMTP_USER);
    env.put("ROSTER_SMTP_PASSWORD", SMTP_PASSWORD);
    return env;
  }

  @AfterAll
  void stopCapturing() {
    logs.close();
  }

  @Test
  void aRejectedSmtpLoginLogsNoPassword() {
    smtp.setUser("roster@club.example", SMTP_USER, "the-password-the-server-expects");
    Person someone = member();
    String eventId = createEvent(5, 0).getString("id");
    assertThat(book(someone, eventId).status()).isEqualTo(201);

    eventually(Duration.ofSeconds(30), "the e-mail delivery failed on the SMTP login", () ->
        db.count("SELECT count(*) FROM notification_deliveries WHERE channel = 'email' AND member_id = ?::uuid "
            + "AND status = 'failed'", someone.id()) == 1);
    assertThat(mailsTo(someone.json().getString("email"))).isEmpty();
    assertThat(logs.lines()).anyMatch(line -> line.contains("via email failed") && line.contains("535"));
    assertNoneLogged(SMTP_PASSWORD, Base64.getEncoder().encodeToString(SMTP_PASSWORD.getBytes(StandardCharsets.UTF_8)),
        Base64.getEncoder().encodeToString(("\0" + SMTP_USER + "\0" + SMTP_PASSWORD).getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void wrongAmqpUrlsAndADatabasePasswordAreNeverLogged() {
    int closedPort = freePort();
    List<String> wrongUrls = List.of(
        "amqp://roster:" + AMQP_PASSWORD + "@127.0.0.1:5672/",            // the broker refuses the login
        "amqp://roster:" + AMQP_PASSWORD + "@127.0.0.1:" + closedPort + "/", // nobody listens
        "amqp://roster:" + AMQP_PASSWORD + " @127.0.0.1:5672/",           // not a URL
        "amqp://roster:" + AMQP_PASSWORD + ":x@127.0.0.1:5672/",          // user info the client cannot split
        "amqps://roster:" + AMQP_PASSWORD + "@127.0.0.1:" + closedPort + "/",
        // two nodes: one down, the other refusing the login
        "amqp://roster:" + AMQP_PASSWORD + "@127.0.0.1:" + closedPort + "/,amqp://roster:" + AMQP_PASSWORD
            + "@127.0.0.1:5672/");
    String pgUrl = db.url().replaceFirst("://([^:@/]+)@", "://$1:" + PG_PASSWORD + "@");
    assertThat(pgUrl).as("a database URL with a password (trust auth ignores it)").contains(":" + PG_PASSWORD + "@");
    for (String url : wrongUrls) {
      int before = logs.lines().size();
      Map<String, String> settings = new java.util.HashMap<>(notificationSettings());
      settings.put("ROSTER_AMQP_URL", url);
      settings.put("ROSTER_PG_URL", pgUrl);
      try (RosterApp app = RosterApp.start(db, issuer, settings)) {
        eventually(Duration.ofSeconds(20), "the relay, workers and tasks fail to connect with " + url, () -> {
          List<String> lines = logs.lines().subList(before, logs.lines().size());
          return List.of("roster-relay", "roster-worker", "roster-tasks").stream().allMatch(name ->
              lines.stream().anyMatch(line -> line.contains(name + ": cannot reach the broker")));
        });
      }
    }
    assertNoneLogged(AMQP_PASSWORD, PG_PASSWORD);
  }

  private void assertNoneLogged(String... secrets) {
    List<String> lines = logs.lines();
    assertThat(lines).as("captured log lines").isNotEmpty();
    for (String secret : secrets) {
      assertThat(lines).as("log lines containing a secret").noneMatch(line -> line.contains(secret));
    }
  }

}
