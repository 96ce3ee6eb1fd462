package bookings;

import config.AppConfig;
import db.Database;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import support.ApiTestBase;
import web.ApiError;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The coalescer on its own, against the real database: requests submitted together form one batch
 * (a 200 ms window), and each gets the answer it would have got alone.
 */
class BookingCoalescerTest extends ApiTestBase {

  private Pool pool;
  private BookingCoalescer coalescer;
  private Context context;
  private final List<String> alone = new ArrayList<>();

  @BeforeAll
  void coalescer() {
    AppConfig config = new AppConfig(new JsonObject().put("pg", new JsonObject().put("url", db.url()).put("poolSize", 4)));
    pool = Database.pool(app.vertx(), config);
    context = app.vertx().getOrCreateContext();
    BookingRepository bookings = new BookingRepository();
    BookingService service = new BookingService(pool, bookings, new events.EventRepository(), new BookingMetrics(null));
    // the one-request path, counted, for batches that fail as a whole
    Function<UUID[], Future<Booking>> one = ids -> {
      alone.add(ids[1].toString());
      return service.book(new auth.Caller("t", "t", java.util.Set.of("admin"), null), ids[0], ids[1].toString());
    };
    coalescer = new BookingCoalescer(app.vertx(), pool, (event, member) -> one.apply(new UUID[] {event, member}),
        64, 200, 1, Integer.MAX_VALUE, Long.MAX_VALUE / 4, new BookingMetrics(null)); // no queue bound here
  }

  @org.junit.jupiter.api.BeforeEach
  void forget() {
    alone.clear();
  }

  @AfterAll
  void closePool() {
    pool.close();
  }

  /** Submits the requests in this order on the coalescer's event loop; they share one batch. */
  private List<Future<Booking>> submit(List<UUID[]> requests) throws Exception {
    CompletableFuture<List<Future<Booking>>> submitted = new CompletableFuture<>();
    context.runOnContext(v -> {
      List<Future<Booking>> futures = new ArrayList<>();
      for (UUID[] r : requests) {
        futures.add(coalescer.book(r[0], r[1]));
      }
      submitted.complete(futures);
    });
    List<Future<Booking>> futures = submitted.get(10, TimeUnit.SECONDS);
    Future.join(futures).toCompletionStage().toCompletableFuture().handle((x, e) -> null).get(30, TimeUnit.SECONDS);
    return futures;
  }

  private static String outcome(Future<Booking> f) {
    if (f.succeeded()) {
      Booking b = f.result();
      return b.status() + (b.waitlistPosition() == null ? "" : " " + b.waitlistPosition());
    }
    return f.cause() instanceof ApiError e ? e.code() : f.cause().toString();
  }

  private UUID newMember() {
    return UUID.fromString(member().id());
  }

  @Test
  void firstComeFirstServedWithinABatch() throws Exception {
    UUID event = UUID.fromString(createEvent(2, 2).getString("id"));
    List<UUID[]> requests = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      requests.add(new UUID[] {event, newMember()});
    }
    List<Future<Booking>> results = submit(requests);
    assertThat(results.stream().map(BookingCoalescerTest::outcome).toList())
        .containsExactly("confirmed", "confirmed", "waitlisted 1", "waitlisted 2", "event_full", "event_full");
    // the waitlist's order in the database is the arrival order
    assertThat(db.count("SELECT count(*) FROM bookings w1 JOIN bookings w2 ON w1.event_id = w2.event_id "
        + "WHERE w1.event_id = ?::uuid AND w1.status = 'waitlisted' AND w2.status = 'waitlisted' "
        + "AND w1.member_id = ?::uuid AND w2.member_id = ?::uuid AND w1.seq < w2.seq",
        event.toString(), requests.get(2)[1].toString(), requests.get(3)[1].toString())).isOne();
    assertInvariants(event);
  }

  @Test
  void aRefusedRequestDoesNotFailItsBatchMates() throws Exception {
    UUID event = UUID.fromString(createEvent(10, 0).getString("id"));
    UUID suspended = newMember();
    db.update("UPDATE members SET status = 'suspended' WHERE id = ?::uuid", suspended.toString());
    UUID booked = newMember();
    assertThat(submit(List.<UUID[]>of(new UUID[] {event, booked})).get(0).succeeded()).isTrue();
    UUID twice = newMember();
    List<UUID[]> requests = List.of(
        new UUID[] {event, newMember()},
        new UUID[] {event, suspended},
        new UUID[] {event, booked},
        new UUID[] {event, UUID.randomUUID()},
        new UUID[] {event, twice},
        new UUID[] {event, twice},
        new UUID[] {UUID.randomUUID(), newMember()},
        new UUID[] {event, newMember()});
    assertThat(submit(requests).stream().map(BookingCoalescerTest::outcome).toList()).containsExactly(
        "confirmed", "member_suspended", "already_booked", "not_found", "confirmed", "already_booked",
        "event_not_found", "confirmed");
    assertThat(alone).as("no request needed the one-by-one path").isEmpty();
    assertInvariants(event);
  }

  @Test
  void oneBatchServesSeveralEvents() throws Exception {
    UUID small = UUID.fromString(createEvent(1, 0).getString("id"));
    UUID large = UUID.fromString(createEvent(5, 0).getString("id"));
    UUID cancelled = UUID.fromString(createEvent(5, 0).getString("id"));
    assertThat(api.post("/v1/events/" + cancelled + "/cancel", admin.token(), null).status()).isEqualTo(200);
    List<UUID[]> requests = List.of(new UUID[] {large, newMember()}, new UUID[] {small, newMember()},
        new UUID[] {small, newMember()}, new UUID[] {cancelled, newMember()}, new UUID[] {large, newMember()});
    assertThat(submit(requests).stream().map(BookingCoalescerTest::outcome).toList())
        .containsExactly("confirmed", "confirmed", "event_full", "event_not_bookable", "confirmed");
    assertInvariants(small);
    assertInvariants(large);
    assertThat(db.count("SELECT count(*) FROM outbox WHERE kind = 'booking.confirmed' AND payload->>'eventId' IN (?, ?)",
        small.toString(), large.toString())).isEqualTo(3);
  }

  @Test
  void aBatchWritesTheOutboxRowsOfSingleBookingsEachWithItsRequestsTraceContext() throws Exception {
    String endpoint = db.strings("INSERT INTO webhook_endpoints (url, event_types, secret) "
        + "VALUES ('http://127.0.0.1:9/', ARRAY['booking.waitlisted'], 'whsec_test') RETURNING id::text").get(0);
    try {
      UUID event = UUID.fromString(createEvent(1, 1).getString("id"));
      String firstTrace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
      String secondTrace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
      List<BookingBatch.Request> requests = List.of(
          new BookingBatch.Request(event, newMember(), tracing.TraceStamp.of(firstTrace, "request-1")),
          new BookingBatch.Request(event, newMember(), tracing.TraceStamp.of(secondTrace, "request-2")),
          new BookingBatch.Request(event, newMember(), tracing.TraceStamp.NONE));
      BookingBatch.Decided decided = BookingBatch.run(pool, requests).toCompletionStage().toCompletableFuture()
          .get(30, TimeUnit.SECONDS);
      assertThat(decided.outcomes().stream().map(o -> outcome(o.error() == null
          ? Future.succeededFuture(o.booking()) : Future.failedFuture(o.error()))).toList())
          .containsExactly("confirmed", "waitlisted 1", "event_full");
      assertThat(decided.lockedAt()).as("the batch says when it locked the event").isNotNull();
      String seat = decided.outcomes().get(0).booking().id().toString();
      String place = decided.outcomes().get(1).booking().id().toString();

      // no webhook listens to confirmations: the notification's fields alone, and the first request's trace
      assertThat(db.strings("SELECT kind || ' ' || traceparent || ' ' || request_id FROM outbox "
          + "WHERE payload->>'bookingId' = ?", seat)).containsExactly("booking.confirmed " + firstTrace + " request-1");
      assertThat(new JsonObject(db.strings("SELECT payload::text FROM outbox WHERE payload->>'bookingId' = ?", seat)
          .get(0)).fieldNames()).containsExactlyInAnyOrder("bookingId", "eventId", "memberId", "status");
      // the waitlist place: its subscriber and the booking as written, and the second request's trace
      assertThat(db.strings("SELECT kind || ' ' || traceparent || ' ' || request_id FROM outbox "
          + "WHERE payload->>'bookingId' = ?", place)).containsExactly("booking.waitlisted " + secondTrace + " request-2");
      JsonObject waiting = new JsonObject(db.strings("SELECT payload::text FROM outbox WHERE payload->>'bookingId' = ?",
          place).get(0));
      assertThat(waiting.getJsonArray("webhooks").getList()).containsExactly(endpoint);
      assertThat(waiting.getString("webhookType")).isEqualTo("booking.waitlisted");
      assertThat(waiting.getJsonObject("webhookData").getString("id")).isEqualTo(place);
      assertThat(waiting.getJsonObject("webhookData").getString("status")).isEqualTo("waitlisted");
      assertThat(db.count("SELECT count(*) FROM outbox WHERE payload->>'eventId' = ?", event.toString()))
          .as("nothing for the refused request").isEqualTo(2);
      assertInvariants(event);
    } finally {
      db.update("DELETE FROM webhook_endpoints WHERE id = ?::uuid", endpoint);
    }
  }

  @Test
  void aBatchThatFailsAsAWholeIsDecidedOneByOne() throws Exception {
    UUID event = UUID.fromString(createEvent(10, 0).getString("id"));
    UUID racer = newMember();
    UUID other = newMember();
    // another node books the same member between our eligibility check and our insert: simulate it with a row
    // the batch cannot see coming — a trigger that inserts the conflicting booking first
    db.update("CREATE OR REPLACE FUNCTION coalescer_race() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        + "IF pg_trigger_depth() = 1 AND NEW.member_id = '" + racer + "' AND NOT EXISTS (SELECT 1 FROM bookings WHERE member_id = NEW.member_id "
        + "AND event_id = NEW.event_id) THEN INSERT INTO bookings (event_id, member_id, status) "
        + "VALUES (NEW.event_id, NEW.member_id, 'cancelled'); RAISE unique_violation USING MESSAGE = 'raced'; END IF; "
        + "RETURN NEW; END $$");
    db.update("CREATE TRIGGER coalescer_race BEFORE INSERT ON bookings FOR EACH ROW EXECUTE FUNCTION coalescer_race()");
    try {
      List<Future<Booking>> results = submit(List.of(new UUID[] {event, other}, new UUID[] {event, racer}));
      assertThat(alone).as("both requests went the one-by-one way").hasSize(2);
      assertThat(outcome(results.get(0))).isEqualTo("confirmed");
      assertThat(outcome(results.get(1))).as("the raced request, alone, meets the other node's booking")
          .isEqualTo("already_booked");
    } finally {
      db.update("DROP TRIGGER coalescer_race ON bookings");
    }
    assertInvariants(event);
  }

  @Test
  void callsFromOtherThreadsAreDecidedOnTheCoalescersOwnLoop() throws Exception {
    UUID event = UUID.fromString(createEvent(20, 0).getString("id"));
    List<UUID> members = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      members.add(newMember());
    }
    double strayBefore = strayCalls();
    // eight plain threads at once: the coalescer is not thread-safe, so each call must be sent to its loop
    java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(8);
    List<Future<Booking>> results = java.util.Collections.synchronizedList(new ArrayList<>());
    try {
      List<java.util.concurrent.Future<?>> submitted = new ArrayList<>();
      for (UUID member : members) {
        submitted.add(threads.submit(() -> results.add(coalescer.book(event, member))));
      }
      for (java.util.concurrent.Future<?> f : submitted) {
        f.get(10, TimeUnit.SECONDS);
      }
    } finally {
      threads.shutdown();
    }
    Future.join(results).toCompletionStage().toCompletableFuture().handle((x, e) -> null).get(30, TimeUnit.SECONDS);
    assertThat(results.stream().map(BookingCoalescerTest::outcome).toList())
        .as("every call answered, the seats handed out once each")
        .filteredOn("confirmed"::equals).hasSize(20);
    assertThat(results.stream().map(BookingCoalescerTest::outcome).toList()).filteredOn("event_full"::equals).hasSize(20);
    assertThat(strayCalls() - strayBefore).as("calls re-dispatched to the coalescer's loop").isEqualTo(40.0);
    assertInvariants(event);
  }

  private static double strayCalls() {
    io.micrometer.core.instrument.MeterRegistry registry = io.vertx.micrometer.backends.BackendRegistries.getDefaultNow();
    io.micrometer.core.instrument.Counter counter = registry.find("roster.cross.loop.continuations")
        .tag("at", "booking_coalescer").counter();
    assertThat(counter).as("the cross-loop counter is exported").isNotNull();
    return counter.count();
  }

  private void assertInvariants(UUID event) {
    String id = event.toString();
    assertThat(db.count("SELECT booked_count FROM events WHERE id = ?::uuid", id)).isEqualTo(
        db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid AND status IN ('confirmed', 'attended')", id));
    assertThat(db.count("SELECT waitlist_count FROM events WHERE id = ?::uuid", id)).isEqualTo(
        db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid AND status = 'waitlisted'", id));
  }
}
