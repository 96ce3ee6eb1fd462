package config;

import ch.qos.logback.classic.Level;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import logging.LogFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import verticles.MainVerticle;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The three layers: conf/application.yaml < --conf FILE < ROSTER_* variables. */
class ConfigLoaderTest {

  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close();
  }

  private static AppConfig load(String confFile, Map<String, String> env) throws Exception {
    JsonObject json = ConfigLoader.load(vertx, confFile, env).toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    return new AppConfig(json);
  }

  @Test
  void defaultsComeFromApplicationYaml() throws Exception {
    AppConfig config = load(null, Map.of());
    assertThat(config.httpPort()).isEqualTo(8080);
    assertThat(config.pgPoolSize()).isEqualTo(16);
    assertThat(config.oidcLeewaySeconds()).isEqualTo(30);
    assertThat(config.idempotencyTtlHours()).isEqualTo(24);
    assertThat(config.pgUrl()).isEmpty();
  }

  @Test
  void confFileOverridesDefaultsAndEnvironmentOverridesBoth() throws Exception {
    Path file = Files.createTempFile("roster", ".yaml");
    Files.writeString(file, "http:\n  port: 9000\npg:\n  poolSize: 4\n  url: postgresql://a@b/c\n");
    AppConfig config = load(file.toString(), Map.of("ROSTER_PG_POOL_SIZE", "7", "ROSTER_OIDC_AUDIENCE", "api"));
    assertThat(config.httpPort()).isEqualTo(9000);
    assertThat(config.pgPoolSize()).isEqualTo(7);
    assertThat(config.pgUrl()).isEqualTo("postgresql://a@b/c");
    assertThat(config.oidcAudience()).isEqualTo("api");
    assertThat(config.pgConnectTimeoutMs()).isEqualTo(3000);
  }

  @Test
  void everyDocumentedVariableMapsToAKeyOfApplicationYaml() throws Exception {
    JsonObject defaults = ConfigLoader.load(vertx, null, Map.of()).toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    ConfigLoader.ENVIRONMENT.forEach((variable, path) -> {
      JsonObject node = defaults;
      String[] parts = path.split("\\.");
      for (int i = 0; i < parts.length - 1; i++) {
        node = node.getJsonObject(parts[i]);
        assertThat(node).as(variable + " → " + path).isNotNull();
      }
      assertThat(node.containsKey(parts[parts.length - 1])).as(variable + " → " + path).isTrue();
    });
  }

  @Test
  void aMalformedNumberNamesTheVariable() {
    assertThatThrownBy(() -> load(null, Map.of("ROSTER_HTTP_PORT", "eighty")))
        .isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(ConfigException.class).hasMessageContaining("ROSTER_HTTP_PORT");
  }

  @Test
  void productionRefusesMissingSettingsAndTheDevelopmentIssuer() throws Exception {
    Map<String, String> apiOnly = Map.of("ROSTER_RELAY_INSTANCES", "0", "ROSTER_WORKER_INSTANCES", "0");
    assertThatThrownBy(() -> load(null, apiOnly).requireProductionSettings())
        .hasMessageContaining("ROSTER_PG_URL");
    assertThatThrownBy(() -> load(null, with(apiOnly, "ROSTER_PG_URL", "postgresql://a@b/c")).requireProductionSettings())
        .hasMessageContaining("ROSTER_OIDC_ISSUER");
    assertThatThrownBy(() -> load(null, with(with(apiOnly, "ROSTER_PG_URL", "postgresql://a@b/c"),
        "ROSTER_OIDC_ISSUER", AppConfig.DEV_ISSUER)).requireProductionSettings())
        .hasMessageContaining("development token issuer");
    Map<String, String> complete = with(with(with(apiOnly, "ROSTER_PG_URL", "postgresql://a@b/c"),
        "ROSTER_OIDC_ISSUER", "https://id.example/realms/r"), "ROSTER_OIDC_AUDIENCE", "roster-api");
    load(null, complete).requireProductionSettings();

    // the relay and workers need a broker, and workers a mail server
    Map<String, String> withRoles = with(with(complete, "ROSTER_RELAY_INSTANCES", "1"), "ROSTER_WORKER_INSTANCES", "1");
    assertThatThrownBy(() -> load(null, withRoles).requireProductionSettings()).hasMessageContaining("ROSTER_AMQP_URL");
    Map<String, String> withBroker = with(withRoles, "ROSTER_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672");
    assertThatThrownBy(() -> load(null, withBroker).requireProductionSettings()).hasMessageContaining("ROSTER_SMTP_HOST");
    load(null, with(with(withBroker, "ROSTER_SMTP_HOST", "mail.example"), "ROSTER_SMTP_FROM", "roster@example"))
        .requireProductionSettings();
  }

  @Test
  void theLogFormatIsTextOrJsonAndAnythingElseStopsTheStart() throws Exception {
    assertThat(load(null, Map.of()).logFormat()).isEqualTo(LogFormat.TEXT);
    assertThat(load(null, Map.of("ROSTER_LOG_FORMAT", "json")).logFormat()).isEqualTo(LogFormat.JSON);
    assertThat(load(null, Map.of("ROSTER_LOG_LEVEL", "debug")).logLevel()).isEqualTo(Level.DEBUG);
    assertThat(load(null, Map.of("ROSTER_LOG_ACCESS", "false")).logAccess()).isFalse();
    assertThatThrownBy(() -> load(null, Map.of("ROSTER_LOG_LEVEL", "LOUD")).requireLogSettings())
        .hasMessage("ROSTER_LOG_LEVEL (log.level) must be TRACE, DEBUG, INFO, WARN, ERROR or OFF, got 'LOUD'");

    // the service itself, in either mode, refuses before it touches anything
    for (RuntimeMode mode : RuntimeMode.values()) {
      MainVerticle main = new MainVerticle(mode, null, Map.of("ROSTER_LOG_FORMAT", "yaml"));
      assertThatThrownBy(() -> vertx.deployVerticle(main).toCompletionStage().toCompletableFuture()
          .get(30, TimeUnit.SECONDS)).cause().isInstanceOf(ConfigException.class)
          .hasMessage("ROSTER_LOG_FORMAT (log.format) must be json or text, got 'yaml'");
    }
  }

  /** A worker-only node (relay and notification workers, no API), complete. */
  private static final Map<String, String> WORKER = Map.of("ROSTER_PG_URL", "postgresql://a@b/c",
      "ROSTER_HTTP_INSTANCES", "0", "ROSTER_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672",
      "ROSTER_SMTP_HOST", "mail.example", "ROSTER_SMTP_FROM", "roster@example");

  private static void refused(Map<String, String> env, String... named) {
    assertThatThrownBy(() -> load(null, env).requireProductionSettings()).isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(e.getMessage()).contains(named).doesNotContain("\n"));
  }

  private static void accepted(Map<String, String> env) throws Exception {
    load(null, env).requireProductionSettings();
  }

  @Test
  void theTokenIssuerIsRequiredOnlyWhereTheApiRuns() throws Exception {
    accepted(WORKER);
    Map<String, String> api = with(WORKER, "ROSTER_HTTP_INSTANCES", "1");
    refused(api, "ROSTER_OIDC_ISSUER");
    refused(with(api, "ROSTER_OIDC_JWKS_URL", "https://id.example/jwks"), "ROSTER_OIDC_ISSUER");
    accepted(with(with(api, "ROSTER_OIDC_ISSUER", "https://id.example/realms/r"), "ROSTER_OIDC_AUDIENCE", "roster-api"));
    refused(with(WORKER, "ROSTER_OIDC_ISSUER", AppConfig.DEV_ISSUER), "development token issuer");
  }

  @Test
  void pushNeedsItsUrlProjectAndToken() throws Exception {
    Map<String, String> url = with(WORKER, "ROSTER_PUSH_URL", "https://fcm.example");
    refused(url, "ROSTER_PUSH_PROJECT_ID (push.projectId) and ROSTER_PUSH_ACCESS_TOKEN (push.accessToken) are missing");
    refused(with(url, "ROSTER_PUSH_PROJECT_ID", "club"), "ROSTER_PUSH_URL, ROSTER_PUSH_PROJECT_ID are set",
        "ROSTER_PUSH_ACCESS_TOKEN (push.accessToken) is missing");
    refused(with(url, "ROSTER_PUSH_ACCESS_TOKEN", "t0ken"), "ROSTER_PUSH_PROJECT_ID (push.projectId) is missing");
    refused(with(WORKER, "ROSTER_PUSH_ACCESS_TOKEN", "t0ken"), "ROSTER_PUSH_URL (push.url)");
    accepted(with(with(url, "ROSTER_PUSH_PROJECT_ID", "club"), "ROSTER_PUSH_ACCESS_TOKEN", "t0ken"));
    refused(with(with(with(WORKER, "ROSTER_PUSH_URL", "fcm.example"), "ROSTER_PUSH_PROJECT_ID", "club"),
        "ROSTER_PUSH_ACCESS_TOKEN", "t0ken"), "ROSTER_PUSH_URL must be an http:// or https:// URL");
  }

  @Test
  void pushWithAKeyFileNeedsOnlyItsUrl() throws Exception {
    String file = "/etc/roster/push/service-account.json";
    Map<String, String> keyed = with(WORKER, "ROSTER_PUSH_CREDENTIALS_FILE", file);
    refused(keyed, "ROSTER_PUSH_CREDENTIALS_FILE is set but ROSTER_PUSH_URL (push.url) is missing");
    accepted(with(keyed, "ROSTER_PUSH_URL", "https://fcm.googleapis.com"));
    accepted(with(with(keyed, "ROSTER_PUSH_URL", "https://fcm.googleapis.com"), "ROSTER_PUSH_PROJECT_ID", "club"));
    refused(with(with(keyed, "ROSTER_PUSH_URL", "https://fcm.googleapis.com"), "ROSTER_PUSH_ACCESS_TOKEN", "t0ken"),
        "ROSTER_PUSH_CREDENTIALS_FILE and ROSTER_PUSH_ACCESS_TOKEN are both set");
    refused(with(WORKER, "ROSTER_PUSH_URL", "https://fcm.googleapis.com"), "with ROSTER_PUSH_CREDENTIALS_FILE set instead");
  }

  @Test
  void smsNeedsItsUrlAccountTokenAndSender() throws Exception {
    Map<String, String> complete = with(with(with(with(WORKER, "ROSTER_SMS_URL", "https://sms.example"),
        "ROSTER_SMS_ACCOUNT_SID", "AC1"), "ROSTER_SMS_AUTH_TOKEN", "secret"), "ROSTER_SMS_FROM", "+15550001");
    accepted(complete);
    for (String variable : List.of("ROSTER_SMS_URL", "ROSTER_SMS_ACCOUNT_SID", "ROSTER_SMS_AUTH_TOKEN", "ROSTER_SMS_FROM")) {
      Map<String, String> without = new HashMap<>(complete);
      without.remove(variable);
      refused(without, variable + " (sms.", "is missing", "the SMS channel needs all of");
    }
  }

  @Test
  void anSmtpLoginNeedsBothUsernameAndPassword() throws Exception {
    refused(with(WORKER, "ROSTER_SMTP_USERNAME", "roster"), "ROSTER_SMTP_PASSWORD (smtp.password) is missing");
    refused(with(WORKER, "ROSTER_SMTP_PASSWORD", "secret"), "ROSTER_SMTP_USERNAME (smtp.username) is missing");
    accepted(with(with(WORKER, "ROSTER_SMTP_USERNAME", "roster"), "ROSTER_SMTP_PASSWORD", "secret"));
    refused(with(WORKER, "ROSTER_SMTP_STARTTLS", "sometimes"), "ROSTER_SMTP_STARTTLS must be");
    accepted(with(WORKER, "ROSTER_SMTP_STARTTLS", "required"));
  }

  @Test
  void channelSettingsAreCheckedOnlyWhereWorkersSendThroughProviders() throws Exception {
    Map<String, String> halfPush = with(WORKER, "ROSTER_PUSH_URL", "https://fcm.example");
    accepted(with(halfPush, "ROSTER_WORKER_INSTANCES", "0"));
    accepted(with(halfPush, "ROSTER_NOTIFY_CHANNEL", "log"));
    refused(with(WORKER, "ROSTER_NOTIFY_CHANNEL", "logs"), "ROSTER_NOTIFY_CHANNEL must be empty");
    refused(with(WORKER, "ROSTER_NOTIFY_TIMEZONE", "Europe/Pariss"), "ROSTER_NOTIFY_TIMEZONE must be a time zone");
    refused(with(WORKER, "ROSTER_SCHEDULER_RETRY_DELAYS_MS", "5s"), "ROSTER_SCHEDULER_RETRY_DELAYS_MS must be");
    Map<String, String> noMail = new HashMap<>(WORKER);
    noMail.remove("ROSTER_SMTP_FROM");
    refused(noMail, "ROSTER_SMTP_HOST and ROSTER_SMTP_FROM");
    accepted(with(noMail, "ROSTER_WORKER_INSTANCES", "0"));
  }

  @Test
  void theLeaseMustOutlastTwoRenewalsWhereTheSchedulerRuns() throws Exception {
    refused(with(WORKER, "ROSTER_SCHEDULER_LEASE_SECONDS", "1"), "ROSTER_SCHEDULER_LEASE_SECONDS (1) is too short");
    refused(with(WORKER, "ROSTER_SCHEDULER_TICK_MS", "5000"), "ROSTER_SCHEDULER_LEASE_SECONDS (8) is too short",
        "at least 10");
    refused(with(WORKER, "ROSTER_SCHEDULER_TICK_MS", "0"), "ROSTER_SCHEDULER_TICK_MS must be a positive");
    accepted(with(WORKER, "ROSTER_SCHEDULER_LEASE_SECONDS", "2"));
    accepted(with(with(WORKER, "ROSTER_SCHEDULER_LEASE_SECONDS", "1"), "ROSTER_SCHEDULER_ENABLED", "false"));
  }

  @Test
  void aBrokerListMustBeOneBrokerWhoseElementsDifferOnlyInHostAndPort() throws Exception {
    String secret = "n0de-pa55word";
    accepted(with(WORKER, "ROSTER_AMQP_URL", "amqp://roster:" + secret + "@rabbit-0:5672/, amqp://roster:" + secret
        + "@rabbit-1:5673/,amqp://roster:" + secret + "@rabbit-2/"));
    accepted(with(WORKER, "ROSTER_AMQP_URL", "amqps://roster:" + secret + "@a/jobs,amqps://roster:" + secret + "@b:5671/jobs"));
    Map<String, String> refusals = Map.of(
        "amqp://roster:" + secret + "@a/,amqp://other:" + secret + "@b/", "another user or password",
        "amqp://roster:" + secret + "@a/,amqp://roster:wrong-" + secret + "@b/", "another user or password",
        "amqp://roster:" + secret + "@a/,amqps://roster:" + secret + "@b/", "with TLS, or none",
        "amqp://roster:" + secret + "@a/one,amqp://roster:" + secret + "@b/two", "the same vhost",
        "amqp://roster:" + secret + "@a/,rabbit-1:5672", "element 2 of 2 is not an amqp:// or amqps:// URL");
    refusals.forEach((urls, why) -> {
      refused(with(WORKER, "ROSTER_AMQP_URL", urls), "ROSTER_AMQP_URL lists RabbitMQ nodes that are not one broker", why);
      assertThatThrownBy(() -> load(null, with(WORKER, "ROSTER_AMQP_URL", urls)).requireProductionSettings())
          .satisfies(e -> assertThat(e.getMessage()).as("the refusal quotes no credential").doesNotContain(secret));
    });
  }

  @Test
  void aClusterNeedsAWayToFindItsMembers() throws Exception {
    Map<String, String> clustered = Map.of("ROSTER_CLUSTER_ENABLED", "true");
    assertThatThrownBy(() -> load(null, clustered).requireClusterSettings())
        .hasMessageContaining("missing setting: ROSTER_CLUSTER_MEMBERS (cluster.members)");
    load(null, with(clustered, "ROSTER_CLUSTER_MEMBERS", "127.0.0.1:5701")).requireClusterSettings();
    Map<String, String> kubernetes = with(clustered, "ROSTER_CLUSTER_DISCOVERY", "kubernetes");
    assertThatThrownBy(() -> load(null, kubernetes).requireClusterSettings())
        .hasMessageContaining("missing setting: ROSTER_CLUSTER_K8S_SERVICE (cluster.kubernetesService)");
    load(null, with(kubernetes, "ROSTER_CLUSTER_K8S_SERVICE", "roster-hz.default.svc.cluster.local"))
        .requireClusterSettings();
    assertThatThrownBy(() -> load(null, with(clustered, "ROSTER_CLUSTER_DISCOVERY", "multicast")).requireClusterSettings())
        .hasMessageContaining("ROSTER_CLUSTER_DISCOVERY must be tcp or kubernetes, got 'multicast'");
    // not clustered: the cluster settings are not used, so not checked
    load(null, Map.of("ROSTER_CLUSTER_DISCOVERY", "multicast")).requireClusterSettings();
  }

  @Test
  void productionRefusesLaxTokenSettings() throws Exception {
    Map<String, String> base = Map.of("ROSTER_RELAY_INSTANCES", "0", "ROSTER_WORKER_INSTANCES", "0",
        "ROSTER_PG_URL", "postgresql://a@b/c", "ROSTER_OIDC_AUDIENCE", "roster-api");
    // the issuer is always checked, so a JWKS URL alone is not enough
    assertThatThrownBy(() -> load(null, with(base, "ROSTER_OIDC_JWKS_URL", "https://id.example/jwks"))
        .requireProductionSettings()).hasMessageStartingWith("missing setting: ROSTER_OIDC_ISSUER");
    Map<String, String> issued = with(base, "ROSTER_OIDC_ISSUER", "https://id.example/realms/r");
    assertThat(load(null, issued).oidcRolesClaim()).isEqualTo("realm_access.roles");
    assertThat(load(null, issued).jwksMaxAgeSeconds()).isEqualTo(600);

    // aud: required, unless explicitly turned off
    Map<String, String> noAudience = with(issued, "ROSTER_OIDC_AUDIENCE", "");
    assertThatThrownBy(() -> load(null, noAudience).requireProductionSettings())
        .hasMessageStartingWith("missing setting: ROSTER_OIDC_AUDIENCE");
    load(null, with(noAudience, "ROSTER_OIDC_REQUIRE_AUDIENCE", "false")).requireProductionSettings();

    // https, except on loopback or when plain http is explicitly allowed
    for (String variable : List.of("ROSTER_OIDC_ISSUER", "ROSTER_OIDC_JWKS_URL")) {
      Map<String, String> plain = with(issued, variable, "http://keycloak.id.svc:8080/realms/r");
      assertThatThrownBy(() -> load(null, plain).requireProductionSettings())
          .hasMessageStartingWith(variable + " must be an https:// URL");
      load(null, with(plain, "ROSTER_OIDC_ALLOW_HTTP", "true")).requireProductionSettings();
      for (String loopback : List.of("http://127.0.0.1:8080/realms/r", "http://localhost/realms/r",
          "http://[::1]:8080/realms/r")) {
        load(null, with(issued, variable, loopback)).requireProductionSettings();
      }
    }
    assertThatThrownBy(() -> load(null, with(issued, "ROSTER_OIDC_ISSUER", "http://127.0.0.1.example.com/r"))
        .requireProductionSettings()).hasMessageStartingWith("ROSTER_OIDC_ISSUER must be an https:// URL");
    assertThatThrownBy(() -> load(null, with(issued, "ROSTER_OIDC_ISSUER", "ftp://id.example/r"))
        .requireProductionSettings()).hasMessageStartingWith("ROSTER_OIDC_ISSUER must be an https:// URL");
  }

  private static Map<String, String> with(Map<String, String> env, String key, String value) {
    Map<String, String> copy = new java.util.HashMap<>(env);
    copy.put(key, value);
    return copy;
  }

}
