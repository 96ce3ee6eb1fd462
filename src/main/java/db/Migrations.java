package db;

import config.AppConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** Flyway migrations from {@code db/migration}, once at start-up, on a worker thread (JDBC blocks). */
public final class Migrations {

  private static final Logger log = LoggerFactory.getLogger(Migrations.class);
  /**
   * V1's checksums before its comments were changed to point at the repository's own files (openapi.yaml, then
   * the README: the only changes V1 has had since it was first applied), and now. A database migrated before keeps
   * an old one, which Flyway's validation would refuse; exactly those known values are realigned, so any other edit
   * of an applied migration is still refused.
   */
  static final int V1_CHECKSUM_BEFORE_COMMENT = -915742635;
  static final int V1_CHECKSUM_BEFORE_README_COMMENT = 2117358184;
  static final int V1_CHECKSUM = -353126439;

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
      realignCommentOnlyChange(flyway);
      var result = flyway.migrate();
      log.info("database schema at version {} ({} migration(s) applied now)",
          flyway.info().current() == null ? "-" : flyway.info().current().getVersion(), result.migrationsExecuted);
      return null;
    });
  }

  private static void realignCommentOnlyChange(Flyway flyway) throws SQLException {
    try (Connection c = flyway.getConfiguration().getDataSource().getConnection();
         PreparedStatement update = c.prepareStatement("UPDATE flyway_schema_history SET checksum = ? "
             + "WHERE version = '1' AND checksum IN (?, ?)")) {
      try (ResultSet history = c.createStatement().executeQuery(
          "SELECT to_regclass('flyway_schema_history') IS NOT NULL")) {
        if (!history.next() || !history.getBoolean(1)) {
          return; // a new database: nothing applied yet
        }
      }
      update.setInt(1, V1_CHECKSUM);
      update.setInt(2, V1_CHECKSUM_BEFORE_COMMENT);
      update.setInt(3, V1_CHECKSUM_BEFORE_README_COMMENT);
      if (update.executeUpdate() > 0) {
        log.info("V1's recorded checksum realigned: only a comment of it changed since it was applied");
      }
    }
  }
}
