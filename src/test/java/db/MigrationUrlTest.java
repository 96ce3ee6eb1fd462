package db;

import config.AppConfig;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;
import org.junit.jupiter.api.Test;
import support.Api;
import support.RosterApp;
import support.TestDatabase;
import support.TestIssuer;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Flyway connects with the same ROSTER_PG_URL as the pools, parameters included: TLS settings
 * ({@code sslmode}, {@code sslrootcert}) must not be lost on the migration connection, nor the schema; and the
 * pools trust the CA that {@code sslrootcert} names. (No TLS PostgreSQL runs here: those are checked on the
 * connection settings.)
 */
class MigrationUrlTest {

  @Test
  void theJdbcUrlKeepsTheParametersAndLeavesTheCredentialsOut() {
    String url = "postgresql://roster:s3cret@db.example.com:6432/roster?sslmode=verify-full"
        + "&sslrootcert=/etc/roster/ca.pem&application_name=roster&password=other";
    String jdbc = Database.jdbcUrl(Database.connectOptions(config(url)), url);
    assertThat(jdbc).isEqualTo("jdbc:postgresql://db.example.com:6432/roster?sslmode=verify-full"
        + "&sslrootcert=/etc/roster/ca.pem&application_name=roster");
    assertThat(Database.jdbcUrl(Database.connectOptions(config("postgresql://a@h/d")), "postgresql://a@h/d"))
        .isEqualTo("jdbc:postgresql://h:5432/d");
  }

  @Test
  void thePoolTrustsTheRootCertificateTheUrlNames() {
    PgConnectOptions options = Database.connectOptions(config(
        "postgresql://roster@db.example.com/roster?sslmode=verify-full&sslrootcert=/etc/roster/pg-ca.pem"));
    assertThat(options.getSslMode()).isEqualTo(SslMode.VERIFY_FULL);
    assertThat(options.getSslOptions()).isNotNull();
    assertThat(((PemTrustOptions) options.getSslOptions().getTrustOptions()).getCertPaths())
        .containsExactly("/etc/roster/pg-ca.pem");
  }

  @Test
  void migrationsRunWhereTheUrlPointsTheService() {
    TestDatabase db = TestDatabase.create(getClass().getSimpleName());
    try (TestIssuer issuer = new TestIssuer()) {
      db.update("CREATE SCHEMA roster_app");
      try (RosterApp app = RosterApp.start(db, issuer, Map.of("ROSTER_PG_URL", db.url() + "?search_path=roster_app"))) {
        Api.Res events = new Api(app.baseUrl()).get("/v1/events", issuer.token("schema-reader", "member"));
        assertThat(events.status()).as(events.toString()).isEqualTo(200);
      }
      assertThat(db.count("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'roster_app' "
          + "AND table_name = 'events'")).isEqualTo(1);
      assertThat(db.count("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' "
          + "AND table_name = 'events'")).as("tables migrated beside the service's schema").isZero();
    } finally {
      db.drop();
    }
  }

  private static AppConfig config(String pgUrl) {
    return new AppConfig(new JsonObject().put("pg", new JsonObject().put("url", pgUrl)));
  }
}
