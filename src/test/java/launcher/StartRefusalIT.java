package launcher;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** `start` (production) refuses to run without its settings, and never trusts the development issuer. */
class StartRefusalIT {

  @Test
  void withoutDatabaseUrl() throws Exception {
    assertRefused(Map.of("ROSTER_OIDC_ISSUER", "https://id.example/realms/roster"), "ROSTER_PG_URL");
  }

  @Test
  void withoutIssuer() throws Exception {
    assertRefused(Map.of("ROSTER_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"), "ROSTER_OIDC_ISSUER");
  }

  @Test
  void withoutBrokerWhileTheNotificationRolesRun() throws Exception {
    assertRefused(Map.of("ROSTER_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres",
        "ROSTER_OIDC_ISSUER", "https://id.example/realms/roster", "ROSTER_OIDC_AUDIENCE", "roster-api"),
        "ROSTER_AMQP_URL");
  }

  @Test
  void withoutMailServerWhileWorkersRun() throws Exception {
    assertRefused(Map.of("ROSTER_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres",
        "ROSTER_OIDC_ISSUER", "https://id.example/realms/roster", "ROSTER_OIDC_AUDIENCE", "roster-api",
        "ROSTER_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672"), "ROSTER_SMTP_HOST");
  }

  @Test
  void withBrokerNodesThatAreNotOneBroker() throws Exception {
    assertRefused(Map.of("ROSTER_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres",
        "ROSTER_OIDC_ISSUER", "https://id.example/realms/roster", "ROSTER_OIDC_AUDIENCE", "roster-api",
        "ROSTER_AMQP_URL", "amqp://roster:node-0-Pa55@rabbit-0:5672/,amqp://roster:node-1-Pa55@rabbit-1:5672/"),
        "ROSTER_AMQP_URL lists RabbitMQ nodes that are not one broker: element 2 (rabbit-1:5672) has another user "
            + "or password");
  }

  @Test
  void withoutAudienceOrWithAPlainHttpIssuer() throws Exception {
    assertRefused(Map.of("ROSTER_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres",
        "ROSTER_OIDC_ISSUER", "https://id.example/realms/roster"), "ROSTER_OIDC_AUDIENCE");
    assertRefused(Map.of("ROSTER_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres",
        "ROSTER_OIDC_ISSUER", "http://id.example/realms/roster", "ROSTER_OIDC_AUDIENCE", "roster-api"),
        "ROSTER_OIDC_ALLOW_HTTP");
  }

  @Test
  void withTheDevelopmentIssuer() throws Exception {
    assertRefused(Map.of("ROSTER_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres",
        "ROSTER_OIDC_ISSUER", "urn:roster:development", "ROSTER_RELAY_INSTANCES", "0", "ROSTER_WORKER_INSTANCES", "0"),
        "development token issuer");
  }

  @Test
  void withAPushUrlButNoCredentials() throws Exception {
    assertRefused(Map.of("ROSTER_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres",
        "ROSTER_OIDC_ISSUER", "https://id.example/realms/roster", "ROSTER_OIDC_AUDIENCE", "roster-api",
        "ROSTER_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672",
        "ROSTER_SMTP_HOST", "127.0.0.1", "ROSTER_SMTP_FROM", "roster@club.example",
        "ROSTER_PUSH_URL", "https://fcm.example", "ROSTER_PUSH_ACCESS_TOKEN", "t0ken"),
        "ROSTER_PUSH_PROJECT_ID (push.projectId) is missing");
  }

  @Test
  void clusteredWithoutAMemberList() throws Exception {
    // refused before joining any cluster
    assertRefused(Map.of("ROSTER_CLUSTER_ENABLED", "true"), "ROSTER_CLUSTER_MEMBERS");
  }

  @Test
  void withAMalformedNumber() throws Exception {
    assertRefused(Map.of("ROSTER_HTTP_PORT", "eighty"), "ROSTER_HTTP_PORT");
  }

  @Test
  void withALogFormatItCannotWrite() throws Exception {
    // refused before anything starts: logback alone would only warn and write text
    assertRefused(Map.of("ROSTER_LOG_FORMAT", "yaml"), "ROSTER_LOG_FORMAT (log.format) must be json or text, got 'yaml'");
  }

  private static void assertRefused(Map<String, String> env, String named) throws Exception {
    try (JarProcess service = JarProcess.start(env, "start")) {
      String line = service.awaitLine(l -> l.startsWith("roster: "), Duration.ofSeconds(60));
      assertThat(line).contains(named);
      assertThat(service.awaitExit(Duration.ofSeconds(30))).isEqualTo(1);
      assertThat(service.output()).noneMatch(l -> l.contains("Exception") || l.startsWith("\tat "));
    }
  }
}
