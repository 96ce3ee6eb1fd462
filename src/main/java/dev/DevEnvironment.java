package dev;

import auth.RolesClaim;
import config.AppConfig;
import config.ConfigException;
import db.Database;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import members.MemberRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What start-dev brings so that a machine with only Java runs the service: an embedded PostgreSQL
 * (unless ROSTER_PG_URL names one), a token issuer with a fresh key, and three seeded members whose
 * tokens it prints. Everything else is the production code path.
 */
public final class DevEnvironment {

  private static final Logger log = LoggerFactory.getLogger(DevEnvironment.class);

  private record Seed(String role, String email, String name, String subject) {
  }

  private static final List<Seed> SEEDS = List.of(
      new Seed("admin", "admin@roster.dev", "Ada Admin", "dev-admin"),
      new Seed("trainer", "trainer@roster.dev", "Tom Trainer", "dev-trainer"),
      new Seed("member", "member@roster.dev", "Mia Member", "dev-member"));

  private EmbeddedPostgres postgres;
  private EmbeddedBroker broker;
  private DevTokenIssuer issuer;
  private final Map<String, String> tokens = new LinkedHashMap<>();

  public Future<AppConfig> start(Vertx vertx, AppConfig config) {
    printWarning();
    return vertx.executeBlocking(() -> {
      issuer = DevTokenIssuer.generate();
      AppConfig result = config.with("oidc", "issuer", AppConfig.DEV_ISSUER).with("oidc", "jwksUrl", "")
          .with("oidc", "devJwks", issuer.jwks());
      if (config.pgUrl().isBlank()) {
        if ("root".equals(System.getProperty("user.name"))) {
          throw new ConfigException("start-dev's embedded PostgreSQL refuses to run as root: run as a normal user, "
              + "or set ROSTER_PG_URL to a PostgreSQL server");
        }
        log.info("starting embedded PostgreSQL (first start unpacks its binaries, a few seconds)");
        // Stopped by stop(), after the verticles: its own shutdown hook would run beside ours and stop the
        // database under verticles that still use it (the scheduler hands back its lease on the way out).
        postgres = EmbeddedPostgres.builder().setRegisterShutdownHook(false).start();
        result = result.with("pg", "url", "postgresql://postgres:postgres@127.0.0.1:" + postgres.getPort() + "/postgres");
      }
      if (config.amqpUrl().isBlank()) {
        log.info("starting the embedded AMQP broker (Qpid Broker-J)");
        broker = EmbeddedBroker.start();
        result = result.with("amqp", "url", broker.url()).with("amqp", "quorumQueues", false);
      }
      if (config.notifyChannelOverride().isBlank() && config.smtp().getString("host", "").isBlank()) {
        result = result.with("notifications", "channel", "log");
      }
      return result;
    });
  }

  /** Seeds the three development members (kept if they exist) and signs their tokens. */
  public Future<Void> seed(Vertx vertx, AppConfig config) {
    Pool pool = Database.pool(vertx, config);
    MemberRepository members = new MemberRepository();
    Future<Void> chain = Future.succeededFuture();
    for (Seed seed : SEEDS) {
      chain = chain.compose(v -> members.findBySubject(pool, seed.subject())
          .compose(existing -> existing != null ? Future.succeededFuture(existing)
              : members.insert(pool, new JsonObject().put("email", seed.email()).put("name", seed.name())
                  .put("role", seed.role()).put("subject", seed.subject())))
          .map(member -> {
            tokens.put(seed.role(), issuer.token(vertx, seed.subject(), seed.role(), config.oidcAudience(),
                new RolesClaim(config.oidcRolesClaim()), config.devTokenTtlHours()));
            return null;
          }));
    }
    return chain.eventually(pool::close);
  }

  public void printBanner(int port) {
    StringBuilder out = new StringBuilder("\n");
    out.append("=== Roster DEVELOPMENT MODE: embedded dependencies, development tokens. Not for production. ===\n");
    out.append("API:      http://localhost:").append(port).append("/v1\n");
    out.append("Docs:     http://localhost:").append(port).append("/docs\n");
    out.append("Database: ").append(postgres != null ? "embedded PostgreSQL on port " + postgres.getPort()
        : "the one ROSTER_PG_URL names").append('\n');
    out.append("Broker:   ").append(broker != null ? "embedded AMQP broker (Qpid) on port " + broker.port()
        + "; retries and dead letters need a real RabbitMQ (set ROSTER_AMQP_URL)" : "the one ROSTER_AMQP_URL names")
        .append('\n');
    out.append("Notifications are written to the log in development mode.\n");
    out.append("Tokens (valid for a few hours; use as 'Authorization: Bearer <token>'):\n");
    tokens.forEach((role, token) -> out.append("  ").append(String.format("%-8s", role)).append(' ')
        .append(token).append('\n'));
    out.append("Example:  export TOKEN=<admin token above>; curl -H \"Authorization: Bearer $TOKEN\" "
        + "http://localhost:").append(port).append("/v1/members/me\n");
    System.out.println(out);
    System.out.flush();
  }

  public Future<Void> stop(Vertx vertx) {
    return vertx.executeBlocking(() -> {
      if (broker != null) {
        broker.close();
      }
      if (postgres != null) {
        postgres.close();
      }
      return null;
    });
  }

  private static void printWarning() {
    System.out.println("*** Roster is starting in DEVELOPMENT MODE (start-dev): embedded database and broker, "
        + "development token issuer, notifications to the log. Use `start` in production. ***");
    System.out.flush();
  }
}
