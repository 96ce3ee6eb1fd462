package tracing;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import support.Api;
import support.NotificationTestBase;
import support.ProviderRecorder;
import support.RosterApp;
import support.TestTracing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static support.TestTracing.kind;
import static support.TestTracing.named;

/**
 * With tracing on, a booking is one trace from the HTTP request to the provider call: server span, SQL, the
 * relay's publish, the worker's processing and the SMTP or SMS call, and the retries of a failed delivery. A
 * coalesced burst has a batch span linked to its requests; a scheduled run is one trace from claim to run.
 */
class BookingTraceTest extends NotificationTestBase {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private final TestTracing tracing = new TestTracing();

  @Override
  protected RosterApp startApp(Map<String, String> settings) {
    return RosterApp.traced(db, issuer, settings, tracing.sdk());
  }

  @Override
  protected Map<String, String> serviceSettings() {
    Map<String, String> env = notificationSettings();
    // batch-mates have 30 ms to gather, so a burst is decided in a few batches
    env.put("ROSTER_BOOKING_BATCH_WINDOW_MS", "30");
    return env;
  }

  @Test
  void aBookingIsOneTraceFromTheRequestToTheMail() {
    Person member = reachable(List.of("email"));
    String eventId = createEvent(5, 0).getString("id");

    Api.Res booked = book(member, eventId);
    assertThat(booked.status()).as(booked.toString()).isEqualTo(201);
    String email = member.json().getString("email");
    eventually(WAIT, "the confirmation mail", () -> !mailsTo(email).isEmpty());
    SpanData server = serverSpanOf(member);
    String trace = server.getTraceId();
    eventually(WAIT, "the SMTP span", () -> !tracing.spans(named("smtp send").and(inTrace(trace))).isEmpty());

    String tree = tracing.tree(trace);
    assertThat(server.getKind()).isEqualTo(SpanKind.SERVER);
    assertThat(server.getAttributes().asMap().entrySet()).as(tree)
        .anyMatch(e -> e.getKey().getKey().equals("http.route") && e.getValue().equals("/v1/bookings"));
    assertThat(server.getAttributes().asMap().toString()).doesNotContain(email);

    // the statement that wrote the booking, under the request (through the batch that decided it: one call of
    // book_batch, or INSERT INTO bookings on the per-request path)
    List<SpanData> inserts = tracing.spans(inTrace(trace).and(s -> {
      String sql = TestTracing.statement(s);
      return sql != null && (sql.contains("INSERT INTO bookings") || sql.contains("book_batch("));
    }));
    assertThat(inserts).as(tree).hasSize(1);
    assertThat(tracing.descends(inserts.get(0), server)).as(tree).isTrue();

    SpanData publish = single(trace, "publish " + namespace + ".notifications", SpanKind.PRODUCER, tree);
    assertThat(tracing.descends(publish, server)).as(tree).isTrue();
    SpanData process = single(trace, "process " + namespace + ".notifications.email", SpanKind.CONSUMER, tree);
    assertThat(process.getParentSpanId()).as(tree).isEqualTo(publish.getSpanId());
    SpanData smtp = single(trace, "smtp send", SpanKind.CLIENT, tree);
    assertThat(smtp.getParentSpanId()).as(tree).isEqualTo(process.getSpanId());
    assertThat(smtp.getStatus().getStatusCode()).isNotEqualTo(StatusCode.ERROR);
    // the worker's own statements (claiming and recording the delivery) nest under its span too
    assertThat(tracing.spans(inTrace(trace).and(s -> TestTracing.statement(s) != null)
        .and(s -> tracing.descends(s, process)))).as(tree).isNotEmpty();

    // the outbox row kept the request's context
    assertThat(db.strings("SELECT traceparent FROM outbox WHERE payload->>'memberId' = ?", member.id()))
        .singleElement().asString().startsWith("00-" + trace + "-");
  }

  @Test
  void aDeliveryThatFailsThenSucceedsStaysInTheTrace() {
    sms.script(ProviderRecorder.Answer.of(503));
    Person member = reachable(List.of("sms"));
    String eventId = createEvent(5, 0).getString("id");

    assertThat(book(member, eventId).status()).isEqualTo(201);
    eventually(WAIT, "the text message, second try", () -> sms.requests().size() >= 2);
    SpanData server = serverSpanOf(member);
    String trace = server.getTraceId();
    String queue = "process " + namespace + ".notifications.sms";
    eventually(WAIT, "two attempts' spans", () -> tracing.spans(named(queue).and(inTrace(trace))).size() >= 2
        && tracing.spans(inTrace(trace).and(kind(SpanKind.CLIENT)).and(s -> s.getName().startsWith("POST"))).size() >= 2);
    String tree = tracing.tree(trace);

    List<SpanData> attempts = tracing.spans(named(queue).and(inTrace(trace))).stream()
        .sorted(java.util.Comparator.comparingLong(SpanData::getStartEpochNanos)).toList();
    assertThat(attempts).as(tree).hasSize(2);
    // the retry came from the delay queue carrying the first attempt's context
    assertThat(attempts.get(1).getParentSpanId()).as(tree).isEqualTo(attempts.get(0).getSpanId());
    List<SpanData> calls = tracing.spans(inTrace(trace).and(kind(SpanKind.CLIENT))
        .and(s -> s.getName().startsWith("POST")));
    assertThat(calls).as(tree).hasSize(2);
    assertThat(calls).as(tree).anySatisfy(c -> assertThat(c.getParentSpanId()).isEqualTo(attempts.get(0).getSpanId()))
        .anySatisfy(c -> assertThat(c.getParentSpanId()).isEqualTo(attempts.get(1).getSpanId()));
  }

  @Test
  void aCoalescedBurstHasABatchSpanLinkedToItsRequests() {
    String eventId = createEvent(40, 0).getString("id");
    List<Person> members = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      members.add(member());
    }
    List<CompletableFuture<Api.Res>> all = members.stream()
        .map(m -> CompletableFuture.supplyAsync(() -> book(m, eventId))).toList();
    all.forEach(f -> assertThat(f.join().status()).isEqualTo(201));

    Map<String, SpanData> requests = members.stream().map(this::serverSpanOf)
        .collect(Collectors.toMap(SpanData::getSpanId, s -> s));
    List<SpanData> batches = tracing.spans(named("booking batch")).stream()
        .filter(b -> b.getLinks().stream().anyMatch(l -> requests.containsKey(l.getSpanContext().getSpanId())))
        .toList();
    Set<String> linked = batches.stream().flatMap(b -> b.getLinks().stream())
        .map(l -> l.getSpanContext().getSpanId()).collect(Collectors.toSet());
    assertThat(linked).as("every request is linked from the batch that decided it").containsAll(requests.keySet());
    assertThat(batches).as("some requests were decided together")
        .anyMatch(b -> b.getLinks().size() >= 2);
    for (SpanData batch : batches) {
      LinkData first = batch.getLinks().get(0);
      // a batch belongs to the trace of its first request, and holds its transaction's statements
      assertThat(batch.getParentSpanId()).isEqualTo(first.getSpanContext().getSpanId());
      assertThat(batch.getAttributes().asMap().toString()).contains("roster.batch.size=" + batch.getLinks().size());
      assertThat(tracing.spans(s -> TestTracing.statement(s) != null && tracing.descends(s, batch)))
          .as(tracing.tree(batch.getTraceId())).isNotEmpty();
    }
  }

  @Test
  void aScheduledRunIsOneTraceFromClaimToRun() throws Exception {
    Api.Res job = api.post("/v1/cron-schedule", admin.token(), new JsonObject().put("taskName", "purge_expired")
        .put("cronExpression", "0 3 1 1 *"));
    assertThat(job.status()).as(job.toString()).isEqualTo(201);
    String jobId = job.json().getString("id");
    // due now: the leader claims it on its next tick
    try (var c = db.connect(); var st = c.prepareStatement("UPDATE cron_jobs SET next_run = now() WHERE id = ?::uuid")) {
      st.setString(1, jobId);
      assertThat(st.executeUpdate()).isEqualTo(1);
    }
    eventually(WAIT, "the run completed", () -> db.count(
        "SELECT count(*) FROM job_runs WHERE job_id = ?::uuid AND status = 'completed'", jobId) == 1);
    String process = "process " + namespace + ".tasks";
    eventually(WAIT, "the run's span", () -> tracing.spans(named("cron claim purge_expired")).stream()
        .anyMatch(claim -> !tracing.spans(named(process).and(inTrace(claim.getTraceId()))).isEmpty()));

    SpanData claim = tracing.spans(named("cron claim purge_expired")).stream()
        .filter(c -> !tracing.spans(named(process).and(inTrace(c.getTraceId()))).isEmpty()).findFirst().orElseThrow();
    String trace = claim.getTraceId();
    String tree = tracing.tree(trace);
    assertThat(claim.getParentSpanContext().isValid()).as("a claim starts its trace").isFalse();
    assertThat(tracing.spans(inTrace(trace).and(s -> {
      String sql = TestTracing.statement(s);
      return sql != null && sql.contains("INSERT INTO outbox") && s.getParentSpanId().equals(claim.getSpanId());
    }))).as(tree).hasSize(1);
    SpanData publish = single(trace, "publish " + namespace + ".tasks", SpanKind.PRODUCER, tree);
    assertThat(publish.getParentSpanId()).as(tree).isEqualTo(claim.getSpanId());
    SpanData run = single(trace, process, SpanKind.CONSUMER, tree);
    assertThat(run.getParentSpanId()).as(tree).isEqualTo(publish.getSpanId());
    assertThat(tracing.spans(inTrace(trace).and(s -> TestTracing.statement(s) != null)
        .and(s -> tracing.descends(s, run)))).as(tree).isNotEmpty();
  }

  @Test
  void routesOutsideTheContractAreNamedByTheirPathAndUnknownPathsByTheMethodAlone() {
    assertThat(api.get("/health/live", null).status()).isEqualTo(200);
    assertThat(api.get("/no-such-path-" + namespace, null).status()).isEqualTo(404);

    eventually(WAIT, "the probe's span", () -> !tracing.spans(named("GET /health/live")).isEmpty());
    SpanData probe = tracing.spans(named("GET /health/live")).get(0);
    assertThat(probe.getKind()).isEqualTo(SpanKind.SERVER);
    assertThat(probe.getAttributes().asMap().toString()).contains("http.route=/health/live");
    eventually(WAIT, "the 404's span", () -> tracing.spans(kind(SpanKind.SERVER)).stream()
        .anyMatch(s -> s.getAttributes().asMap().toString().contains("/no-such-path-" + namespace)));
    assertThat(tracing.spans(kind(SpanKind.SERVER)).stream()
        .filter(s -> s.getAttributes().asMap().toString().contains("/no-such-path-" + namespace)))
        .singleElement().extracting(SpanData::getName).isEqualTo("GET");
  }

  // ---- helpers ----

  private Person reachable(List<String> channels) {
    Person person = member();
    Api.Res res = api.patch("/v1/members/" + person.id(), admin.token(), new JsonObject()
        .put("channels", new JsonArray(channels)).put("phone", "+1555" + (1_000_000 + (int) (Math.random() * 8_000_000)))
        .put("pushToken", "tok-" + person.id()));
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    return person;
  }

  /** The server span of this member's booking request (the member id is its enduser.id). */
  private SpanData serverSpanOf(Person member) {
    eventually(WAIT, "the booking's server span", () -> !bookingSpans(member).isEmpty());
    List<SpanData> found = bookingSpans(member);
    assertThat(found).hasSize(1);
    return found.get(0);
  }

  private List<SpanData> bookingSpans(Person member) {
    return tracing.spans(named("POST /v1/bookings").and(kind(SpanKind.SERVER))
        .and(s -> member.id().equals(s.getAttributes().asMap().entrySet().stream()
            .filter(e -> e.getKey().getKey().equals("enduser.id")).map(e -> String.valueOf(e.getValue()))
            .findFirst().orElse(null))));
  }

  private static java.util.function.Predicate<SpanData> inTrace(String traceId) {
    return s -> s.getTraceId().equals(traceId);
  }

  private SpanData single(String trace, String name, SpanKind kind, String tree) {
    List<SpanData> found = tracing.spans(named(name).and(kind(kind)).and(inTrace(trace)));
    assertThat(found).as(name + " in\n" + tree).hasSize(1);
    return found.get(0);
  }
}
