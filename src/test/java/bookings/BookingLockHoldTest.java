package bookings;

import config.AppConfig;
import db.Database;
import io.vertx.core.Context;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import support.DirectDatabaseTestBase;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How long a batch holds its event's row lock: from the moment the row is locked (the server's clock, returned by
 * the batch) to the moment the commit is acknowledged (this process's clock: the same machine, the same wall
 * clock). Every other booking of that event waits that long, so it bounds a hot event's throughput. Batches of 16
 * on one hot event, one at a time and four at once, through the coalescer's own batch path; the figures are
 * logged (grep the test output for "lock hold") and the test checks that every request was decided right.
 */
class BookingLockHoldTest extends DirectDatabaseTestBase {

  private static final Logger log = LoggerFactory.getLogger(BookingLockHoldTest.class);
  private static final int BATCH = 16;
  private static final int WARM_UP = 30;
  private static final int MEASURED = 300;

  private Pool service;

  @BeforeAll
  void servicePool() {
    // the service's pool settings (prepared statements cached), as the coalescer uses them
    service = Database.pool(app.vertx(), new AppConfig(new JsonObject()
        .put("pg", new JsonObject().put("url", db.url()).put("poolSize", 8))));
  }

  @AfterAll
  void closeServicePool() {
    service.close();
  }

  @Test
  void oneBatchAtATime() throws Exception {
    measure(1);
  }

  @Test
  void fourBatchesAtOnce() throws Exception {
    measure(4);
  }

  private void measure(int concurrent) throws Exception {
    int batches = WARM_UP + MEASURED;
    UUID event = UUID.fromString(createEvent(10, 0).getString("id"));
    db.update("UPDATE events SET capacity = 100000 WHERE id = ?::uuid", event.toString());
    List<UUID> members = db.strings("INSERT INTO members (email, name) SELECT 'hold-' || ? || '-' || g || '@example.org', 'Hold ' || g "
        + "FROM generate_series(1, ?) AS g RETURNING id::text", concurrent, batches * BATCH).stream().map(UUID::fromString).toList();

    List<Long> holdsMicros = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger next = new AtomicInteger();
    AtomicInteger confirmed = new AtomicInteger();
    CompletableFuture<Void> finished = new CompletableFuture<>();
    AtomicInteger running = new AtomicInteger(concurrent);
    Context context = app.vertx().getOrCreateContext();
    long started = System.nanoTime();
    context.runOnContext(v -> {
      for (int c = 0; c < concurrent; c++) {
        loop(event, members, next, batches, holdsMicros, confirmed, running, finished);
      }
    });
    finished.get(120, TimeUnit.SECONDS);
    double seconds = (System.nanoTime() - started) / 1e9;

    assertThat(confirmed.get()).as("every request of every batch got a seat").isEqualTo(batches * BATCH);
    assertThat(db.count("SELECT booked_count FROM events WHERE id = ?::uuid", event.toString()))
        .isEqualTo(db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid AND status = 'confirmed'",
            event.toString())).isEqualTo((long) batches * BATCH);
    List<Long> sorted = new ArrayList<>(holdsMicros);
    Collections.sort(sorted);
    assertThat(sorted).hasSize(MEASURED);
    log.info("lock hold, {} batch(es) of {} at once, {} batches: p50 {} us, p90 {} us, p99 {} us, mean {} us; "
            + "{} bookings/s", concurrent, BATCH, MEASURED, at(sorted, 0.50), at(sorted, 0.90), at(sorted, 0.99),
        sorted.stream().mapToLong(Long::longValue).sum() / sorted.size(), Math.round(batches * BATCH / seconds));
  }

  private void loop(UUID event, List<UUID> members, AtomicInteger next, int batches, List<Long> holdsMicros,
                    AtomicInteger confirmed, AtomicInteger running, CompletableFuture<Void> finished) {
    int n = next.getAndIncrement();
    if (n >= batches) {
      if (running.decrementAndGet() == 0) {
        finished.complete(null);
      }
      return;
    }
    List<BookingBatch.Request> requests = new ArrayList<>();
    for (UUID member : members.subList(n * BATCH, (n + 1) * BATCH)) {
      requests.add(new BookingBatch.Request(event, member, tracing.TraceStamp.NONE));
    }
    BookingBatch.run(service, requests).onComplete(done -> {
      Instant acknowledged = Instant.now();
      if (done.failed()) {
        finished.completeExceptionally(done.cause());
        return;
      }
      if (n >= WARM_UP) {
        holdsMicros.add(ChronoUnit.MICROS.between(done.result().lockedAt().toInstant(), acknowledged));
      }
      done.result().outcomes().forEach(o -> {
        if (o.booking() != null && "confirmed".equals(o.booking().status())) {
          confirmed.incrementAndGet();
        }
      });
      loop(event, members, next, batches, holdsMicros, confirmed, running, finished);
    });
  }

  private static long at(List<Long> sorted, double quantile) {
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.floor(quantile * sorted.size())));
  }
}
