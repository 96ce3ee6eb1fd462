package db;

import config.AppConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import support.TestDatabase;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A database migrated before V1's comment was changed starts with the new V1 (its checksum realigned); any other
 * difference from an applied migration is still refused by Flyway's validation.
 */
class MigrationsTest {

  @Test
  void onlyV1sKnownCommentChangeIsRealigned() throws Exception {
    TestDatabase db = TestDatabase.create(getClass().getSimpleName());
    Vertx vertx = Vertx.vertx();
    try {
      AppConfig config = new AppConfig(new JsonObject().put("pg", new JsonObject().put("url", db.url())));
      migrate(vertx, config);
      assertThat(v1Checksum(db)).as("V1 as it is now").isEqualTo(Migrations.V1_CHECKSUM);

      db.update("UPDATE flyway_schema_history SET checksum = ? WHERE version = '1'",
          Migrations.V1_CHECKSUM_BEFORE_COMMENT);
      migrate(vertx, config);
      assertThat(v1Checksum(db)).as("a database migrated before the comment changed").isEqualTo(Migrations.V1_CHECKSUM);

      db.update("UPDATE flyway_schema_history SET checksum = ? WHERE version = '1'",
          Migrations.V1_CHECKSUM_BEFORE_README_COMMENT);
      migrate(vertx, config);
      assertThat(v1Checksum(db)).as("a database migrated before the second comment change")
          .isEqualTo(Migrations.V1_CHECKSUM);

      db.update("UPDATE flyway_schema_history SET checksum = 12345 WHERE version = '1'");
      assertThatThrownBy(() -> migrate(vertx, config)).hasStackTraceContaining("checksum mismatch");
      assertThat(v1Checksum(db)).as("any other difference is left for Flyway to refuse").isEqualTo(12345);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      db.drop();
    }
  }

  private static void migrate(Vertx vertx, AppConfig config) throws ExecutionException, InterruptedException,
      java.util.concurrent.TimeoutException {
    Migrations.run(vertx, config).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static long v1Checksum(TestDatabase db) {
    return db.count("SELECT checksum FROM flyway_schema_history WHERE version = '1'");
  }
}
