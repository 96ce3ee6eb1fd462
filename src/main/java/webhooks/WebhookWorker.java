package webhooks;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import notifications.BrokerConnection;
import notifications.DeadLetterReason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Consumes the webhook queue and makes one attempt per message: the delivery row (message, endpoint) is claimed,
 * the message POSTed, and the outcome recorded before the ack. Only a 2xx is a success. A failure is retried
 * through the delay queues ({@code webhooks.retryDelaysMs}, each copy jittered up to 20 % earlier; a longer
 * {@code Retry-After} on 429 or 503 picks a later delay); after the last delay the delivery has failed. A 410 Gone
 * disables the endpoint at once, and so does a failure while the endpoint has failed every attempt for
 * {@code webhooks.disableAfterDays}: then a WARN line names it and {@code roster_webhook_endpoints_disabled_total}
 * counts it, and an admin turns it on again with PATCH. Messages for a disabled or deleted endpoint are dropped
 * (a disabled endpoint's delivery is recorded failed, not sent: an admin may redeliver it).
 *
 * <p>Per endpoint, at most {@code concurrencyPerEndpoint} attempts are in flight on this worker; a message for an
 * endpoint at its limit goes to the shortest delay queue (no attempt counted) and is acked, so a slow partner
 * holds a few prefetch slots, never all of them. Delivery is at least once: a worker that dies, or loses the
 * database, after a POST may POST again, with the same {@code webhook-id}; receivers deduplicate on it.
 *
 * <p>Dead letters: the worker also consumes {@code {ns}.webhooks.dlq}, which only the broker fills (a quorum
 * queue's delivery limit, a rejection): each message there becomes a failed delivery whose last error says the
 * broker dead-lettered it, from which queue and why, unless the delivery succeeded, failed or is being sent; then
 * it is acked, so every dead letter can be listed and redelivered through the API. An unreadable message cannot
 * become a row: it is moved to {@code {ns}.webhooks.parked} (consumed by nobody; confirmed publish, then ack) and
 * counted. The depths of both queues are read every {@value #OBSERVE_MS} ms for the metrics.
 */
public final class WebhookWorker {

  private static final Logger log = LoggerFactory.getLogger(WebhookWorker.class);
  static final String ATTEMPT_HEADER = "x-roster-attempt";
  static final long OBSERVE_MS = 15_000;

  private final Vertx vertx;
  private final Context context;
  private final Pool pool;
  private final WebhookRepository repository;
  private final WebhookSender sender;
  private final WebhookMetrics metrics;
  private final int prefetch;
  private final int perEndpoint;
  private final int disableAfterDays;
  private final long leaseMs;
  private final Map<UUID, Integer> inFlight = new HashMap<>();
  /** Dead letters being recorded (a stop waits for them too). */
  private int recording;
  private BrokerConnection broker;
  private volatile Channel consuming;
  private final List<String> consumerTags = new java.util.concurrent.CopyOnWriteArrayList<>();
  private long observeTimer = -1;

  public WebhookWorker(Vertx vertx, Pool pool, WebhookRepository repository, WebhookSender sender,
                       WebhookMetrics metrics, int prefetch, int perEndpoint, int disableAfterDays, long timeoutMs) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.pool = pool;
    this.repository = repository;
    this.sender = sender;
    this.metrics = metrics;
    this.prefetch = prefetch;
    this.perEndpoint = perEndpoint;
    this.disableAfterDays = disableAfterDays;
    // a claimed delivery is due again (another copy may take it) once its attempt must have ended
    this.leaseMs = timeoutMs + 30_000;
  }

  public void attach(BrokerConnection broker) {
    this.broker = broker;
    context.runOnContext(v -> observeTimer = vertx.setPeriodic(OBSERVE_MS, t -> observe()));
  }

  /** A message as it arrived, handled on the worker's context. */
  private interface Arrival {
    void handle(Channel ch, long tag, AMQP.BasicProperties props, byte[] body);
  }

  /** Runs on each (re)connect, on a worker thread: prefetch, confirms for retry copies, the consumers. */
  public Void onConnected(Channel ch) throws IOException {
    ch.basicQos(prefetch);
    ch.confirmSelect();
    consuming = ch;
    consumerTags.clear();
    consume(ch, broker.topology().webhookQueue(), this::handle);
    consume(ch, broker.topology().webhookDeadLetterQueue(), this::handleDeadLetter);
    return null;
  }

  private void consume(Channel ch, String queue, Arrival arrival) throws IOException {
    String consumerTag = "roster-webhooks-" + UUID.randomUUID();
    consumerTags.add(consumerTag);
    ch.basicConsume(queue, false, consumerTag, new DefaultConsumer(ch) {
      @Override
      public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
        context.runOnContext(v -> arrival.handle(ch, envelope.getDeliveryTag(), props, body));
      }
    });
  }

  /** In flight on this worker, all endpoints together, and dead letters being recorded (a stop waits for them). */
  public int inFlight() {
    return inFlight.values().stream().mapToInt(Integer::intValue).sum() + recording;
  }

  /** Reads the depths of the dead-letter and parked queues into the metrics. */
  private void observe() {
    if (broker == null || !broker.isConnected()) {
      return;
    }
    broker.call(ch -> {
      metrics.depths(ch.messageCount(broker.topology().webhookDeadLetterQueue()),
          ch.messageCount(broker.topology().webhookParkedQueue()));
      return null;
    }).onFailure(e -> log.debug("webhook queue depths: {}", e.getMessage()));
  }

  /**
   * A clean stop: no new messages; the attempts in flight finish and are recorded and acked (at most
   * {@code timeoutMs}), so none is POSTed twice for want of its record.
   */
  public Future<Void> drain(long timeoutMs) {
    vertx.cancelTimer(observeTimer);
    Channel ch = consuming;
    List<String> tags = List.copyOf(consumerTags);
    consumerTags.clear();
    Future<Void> cancelled = ch == null || tags.isEmpty() || broker == null ? Future.succeededFuture()
        : broker.callOn(ch, c -> {
          for (String tag : tags) {
            c.basicCancel(tag);
          }
          return null;
        });
    return cancelled.otherwiseEmpty().compose(v -> waitForIdle(System.currentTimeMillis() + timeoutMs));
  }

  private Future<Void> waitForIdle(long deadline) {
    if (inFlight() == 0 || System.currentTimeMillis() > deadline) {
      return Future.succeededFuture();
    }
    io.vertx.core.Promise<Void> later = io.vertx.core.Promise.promise();
    vertx.setTimer(50, t -> waitForIdle(deadline).onComplete(later));
    return later.future();
  }

  private void handle(Channel ch, long tag, AMQP.BasicProperties props, byte[] body) {
    WebhookMessage message = readOrPark(ch, tag, props, body);
    if (message == null) {
      return;
    }
    int attempt = attemptOf(props);
    UUID endpoint = message.endpointId();
    if (inFlight.getOrDefault(endpoint, 0) >= perEndpoint) {
      metrics.outcome(endpoint, "deferred");
      long delayMs = shortestDelay();
      // the delivery is due when the copy comes back: the sweeper must not take a waiting message for a lost one
      repository.postpone(pool, message.messageId(), endpoint, delayMs).otherwiseEmpty()
          .onComplete(v -> requeueLater(ch, tag, message, attempt, delayMs));
      return;
    }
    inFlight.merge(endpoint, 1, Integer::sum);
    deliver(message, attempt)
        .compose(retryInMs -> retryInMs == null ? Future.<Void>succeededFuture()
            : publishRetry(ch, message, attempt + 1, retryInMs))
        .compose(v -> broker.ack(ch, tag))
        .onComplete(done -> {
          inFlight.computeIfPresent(endpoint, (k, n) -> n > 1 ? n - 1 : null);
          if (done.failed()) {
            // busy: another copy is being sent right now (a redelivery after a lost connection); check back later
            if (done.cause() instanceof Busy) {
              metrics.outcome(endpoint, "deferred");
            } else {
              log.warn("webhook {} to {}: {}; trying again shortly", message.messageId(), endpoint,
                  done.cause().getMessage());
            }
            requeueLater(ch, tag, message, attempt, shortestDelay());
          }
        });
  }

  /** One attempt, recorded. @return the delay before the next attempt, or null when there is none */
  private Future<Long> deliver(WebhookMessage message, int attempt) {
    return repository.find(pool, message.endpointId()).compose(endpoint -> {
      if (endpoint == null) {
        metrics.outcome(message.endpointId(), "dropped");
        return Future.succeededFuture(null);
      }
      if (!endpoint.enabled()) {
        metrics.outcome(message.endpointId(), "dropped");
        return repository.notSent(pool, message.messageId(), endpoint.id(), "not sent: the endpoint is disabled")
            .map(v -> (Long) null);
      }
      return repository.claim(pool, message.messageId(), endpoint.id(), message.type(), message.body(), leaseMs)
          .compose(claim -> claim.busy() ? Future.failedFuture(new Busy())
              : claim.delivery() == null ? Future.succeededFuture(null) // done already: a duplicate message
              : attempt(endpoint, claim.delivery(), message, attempt));
    });
  }

  private Future<Long> attempt(WebhookEndpoint endpoint, WebhookDelivery delivery, WebhookMessage message,
                               int attempt) {
    long started = System.nanoTime();
    return sender.send(endpoint, message)
        .onComplete(done -> metrics.attempt(System.nanoTime() - started))
        .compose(result -> result.succeeded()
            ? repository.succeeded(pool, delivery.id(), result.status()).map(v -> {
              metrics.outcome(endpoint.id(), "succeeded");
              return (Long) null;
            })
            : recordFailure(endpoint, delivery, result, attempt), error -> error instanceof AddressPolicy.Refused refused
            ? recordFailure(endpoint, delivery, new WebhookSender.Attempt(null, 0, "The URL " + refused.getMessage()),
                attempt).onSuccess(v -> metrics.outcome(endpoint.id(), "refused"))
            : Future.failedFuture(error));
  }

  private Future<Long> recordFailure(WebhookEndpoint endpoint, WebhookDelivery delivery, WebhookSender.Attempt result,
                                     int attempt) {
    boolean gone = result.status() != null && result.status() == 410;
    Long retryIn = gone ? null : nextDelay(attempt, result);
    return repository.failed(pool, delivery.id(), result.status(), result.error(), retryIn, gone, disableAfterDays)
        .map(disabledUrl -> {
          if (disabledUrl != null) {
            String reason = gone ? "gone" : "failing";
            metrics.disabled(reason);
            // the host only: a URL's path or query may hold the partner's own token
            log.warn("webhook endpoint {} (host {}) disabled: {}; an admin can enable it again with PATCH /v1/webhooks/{}",
                endpoint.id(), AddressPolicy.parse(disabledUrl).host(), gone ? "it answered 410 Gone"
                    : "every attempt failed for " + disableAfterDays + " days", endpoint.id());
            metrics.outcome(endpoint.id(), "failed");
            return null;
          }
          metrics.outcome(endpoint.id(), retryIn == null ? "failed" : "retrying");
          return retryIn;
        });
  }

  /** The delay before the next attempt: the attempt's, or a later one that honours Retry-After; null past the last. */
  private Long nextDelay(int attempt, WebhookSender.Attempt result) {
    List<Long> delays = broker.topology().webhookRetryDelaysMs();
    if (attempt > delays.size()) {
      return null;
    }
    boolean asked = result.status() != null && (result.status() == 429 || result.status() == 503);
    long wantedMs = asked ? result.retryAfterSeconds() * 1000 : 0;
    for (int i = attempt - 1; i < delays.size(); i++) {
      if (delays.get(i) >= wantedMs) {
        return delays.get(i);
      }
    }
    return delays.get(delays.size() - 1);
  }

  private long shortestDelay() {
    return broker.topology().webhookRetryDelaysMs().stream().mapToLong(Long::longValue).min().orElse(5000);
  }

  /** A copy for a later attempt, through the delay queue of {@code delayMs}, expiring up to 20 % early (jitter). */
  private Future<Void> publishRetry(Channel ch, WebhookMessage message, int attempt, long delayMs) {
    long jittered = delayMs - ThreadLocalRandom.current().nextLong(delayMs / 5 + 1);
    return publishCopy(ch, message, attempt, delayMs, jittered);
  }

  private Future<Void> publishCopy(Channel ch, WebhookMessage message, int attempt, long delayMs, long expirationMs) {
    AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
        .contentType("application/json").deliveryMode(2).messageId(message.messageId().toString())
        .type(message.type()).expiration(Long.toString(expirationMs))
        .headers(Map.of(ATTEMPT_HEADER, attempt)).build();
    return broker.publishConfirmed(ch, broker.topology().webhookRetryQueue(delayMs), props,
        message.toBuffer().getBytes());
  }

  /** Puts the message back for later with the same attempt number (not an attempt: no slot, or no database). */
  private void requeueLater(Channel ch, long tag, WebhookMessage message, int attempt, long delayMs) {
    publishCopy(ch, message, attempt, delayMs, delayMs)
        .compose(v -> broker.ack(ch, tag))
        .onFailure(e -> log.warn("webhook {}: could not put it back for later ({}); the broker redelivers it "
            + "after reconnecting", message.messageId(), e.getMessage()));
  }

  /**
   * A message in the dead-letter queue (put there by the broker) becomes a failed delivery, listed and
   * redeliverable through the API; then it is acked. Unreadable ones are parked. While the database does not
   * answer, the message stays unacked and the write is tried again with backoff.
   */
  private void handleDeadLetter(Channel ch, long tag, AMQP.BasicProperties props, byte[] body) {
    WebhookMessage message = readOrPark(ch, tag, props, body);
    if (message == null) {
      return;
    }
    String why = DeadLetterReason.of(props);
    recording++;
    recordDeadLetter(message, why, new ops.Backoff(500, 15_000))
        .compose(marked -> {
          if (marked) {
            metrics.deadLettered();
            log.warn("webhook {} to {} recorded failed: {}", message.messageId(), message.endpointId(), why);
          } else {
            log.info("a dead letter of webhook {} to {} dropped: the delivery succeeded, failed or is being sent, "
                + "or the endpoint was deleted", message.messageId(), message.endpointId());
          }
          return broker.ack(ch, tag);
        })
        .onComplete(done -> {
          recording--;
          if (done.failed()) {
            log.warn("dead letter of webhook {} not settled: {}; the broker redelivers it", message.messageId(),
                done.cause().getMessage());
          }
        });
  }

  private Future<Boolean> recordDeadLetter(WebhookMessage message, String why, ops.Backoff backoff) {
    return repository.markDeadLettered(pool, message, why).recover(error -> {
      if (consuming == null || !consuming.isOpen()) {
        return Future.failedFuture(error); // unacked on a closed channel: the broker redelivers it
      }
      long delay = backoff.nextDelayMs();
      log.warn("dead letter of webhook {} not recorded yet ({}); trying again in {} ms", message.messageId(),
          error.getMessage(), delay);
      io.vertx.core.Promise<Boolean> later = io.vertx.core.Promise.promise();
      vertx.setTimer(delay, t -> recordDeadLetter(message, why, backoff).onComplete(later));
      return later.future();
    });
  }

  /** The message, or null when it is unreadable: then it is parked. */
  private WebhookMessage readOrPark(Channel ch, long tag, AMQP.BasicProperties props, byte[] body) {
    try {
      return WebhookMessage.fromBuffer(Buffer.buffer(body));
    } catch (RuntimeException e) {
      log.warn("parking an unreadable webhook message: {}", e.getMessage());
      metrics.poison();
      // no expiration: a parked message must not expire into the void
      broker.publishConfirmed(ch, broker.topology().webhookParkedQueue(), props.builder().expiration(null).build(),
              body)
          .compose(v -> broker.ack(ch, tag))
          .onFailure(err -> log.warn("could not park an unreadable webhook message ({}); the broker will redeliver "
              + "it", err.getMessage()));
      return null;
    }
  }

  /** The delivery is being sent by a live attempt elsewhere. */
  private static final class Busy extends RuntimeException {
    Busy() {
      super("being sent by another attempt", null, false, false);
    }
  }

  private static int attemptOf(AMQP.BasicProperties props) {
    Object value = props.getHeaders() == null ? null : props.getHeaders().get(ATTEMPT_HEADER);
    return value instanceof Number n ? Math.max(1, n.intValue()) : 1;
  }
}
