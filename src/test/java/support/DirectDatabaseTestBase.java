package support;

import io.vertx.core.Future;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * For tests that drive the service's classes directly (a scheduler, a sweeper, a relay) on a migrated database:
 * the service runs with its scheduler off and without a broker, so the runs and outbox rows are the test's alone,
 * and {@link #pool} is the test's own pool on the service's Vert.x.
 */
public abstract class DirectDatabaseTestBase extends ApiTestBase {

  protected Pool pool;

  @Override
  protected Map<String, String> serviceSettings() {
    return Map.of("ROSTER_SCHEDULER_ENABLED", "false");
  }

  @BeforeAll
  void openPool() {
    pool = PgBuilder.pool().connectingTo(PgConnectOptions.fromUri(db.url())).using(app.vertx()).build();
  }

  @AfterAll
  void closePool() {
    if (pool != null) {
      pool.close();
    }
  }

  /** The future's result, or the test fails after 10 s. */
  protected static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
