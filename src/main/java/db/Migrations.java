package db;

import config.AppConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Flyway migrations from {@code db/migration}, once at start-up, on a worker thread (JDBC blocks). */
public final class Migrations {

  private static final Logger log = LoggerFactory.getLogger(Migrations.class);

  private Migrations() {
  }

  public static Future<Void> run(Vertx vertx, AppConfig config) {
    PgConnectOptions pg = Database.connectOptions(config);
    return vertx.executeBlocking(() -> {
      Flyway flyway = Flyway.configure()
          .dataSource(Database.jdbcUrl(pg, config.pgUrl()), pg.getUser(), pg.getPassword())
          .locations("classpath:db/migration")
          .connectRetries(10)
          .load();
      var result = flyway.migrate();
      log.info("database schema at version {} ({} migration(s) applied now)",
          flyway.info().current() == null ? "-" : flyway.info().current().getVersion(), result.migrationsExecuted);
      return null;
    });
  }
}
