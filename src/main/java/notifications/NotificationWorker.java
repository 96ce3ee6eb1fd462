package notifications;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import db.DatabaseRecovery;
import static db.DatabaseRecovery.bounded;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import members.MemberRepository;
import notifications.NotificationRepository.Claim;
import notifications.channels.DeliveryException;
import notifications.channels.NotificationChannel;
import notifications.channels.Redaction;
import notifications.channels.StaleContact;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Consumes the channel queues (manual acks, prefetch from config) and delivers each message once: the delivery
 * row is claimed before sending and marked sent before the ack, so a redelivered or duplicated message is
 * acknowledged without sending again. Failures retry through the delay queues with growing delays; a permanent
 * failure (a provider's 4xx) and exhausted attempts mark the delivery failed (visible to ops, retryable) and ack.
 * A failure that shows the member's address is dead (an unregistered push token, an invalid or opted-out number)
 * also updates the member, so it is not tried again.
 *
 * <p>The database down: the first failed call stops consumption (every consumer cancelled) and
 * {@link DatabaseRecovery} probes the pool with jittered backoff until it answers, then consumption resumes.
 * A message is never given back with nack-requeue (which spins on a classic queue and, on a RabbitMQ 4 quorum
 * queue, spends its delivery limit until the broker dead-letters it). The messages held meanwhile:
 * <ul>
 *   <li>not yet claimed (or claimed, and the member's data could not be read): a copy goes to the shortest delay
 *   queue with the same attempt number, and the original is acked once the broker confirms the copy; it waits
 *   in the channel queue, unconsumed, until the database is back;</li>
 *   <li>with an outcome to record (sent, failed, retrying): the message stays unacked in memory and the write is
 *   tried again each time the database answers, so a sent message is never sent again for want of its record,
 *   and nothing is acknowledged before its row says what happened.</li>
 * </ul>
 *
 * <p>Dead letters: the workers also consume each channel's dead-letter queue, which only the broker fills now
 * (a quorum queue's delivery limit, a rejection by another consumer): each message there becomes a failed
 * delivery whose last error says the broker dead-lettered it, from which queue and why (its x-death headers),
 * unless the delivery was sent or is being sent; then it is acked. So every dead letter can be listed and
 * retried through the API. An unreadable (poison) message cannot become a row: it is moved to the channel's
 * parked queue ({@code ...{channel}.parked}, consumed by nobody; confirmed publish, then ack), counted in
 * {@code roster_notifications_poison_total}, its depth in {@code roster_notifications_parked_depth}; ops read or
 * shovel it from there.
 *
 * <p>Jitter: each retry copy carries a per-message expiration a random 0-20 % below its delay queue's TTL, so
 * retries that failed at different moments do not line up on the tiers' boundaries. RabbitMQ expires per-message
 * TTLs only at the head of a queue, so a copy never leaves later than the queue's TTL after it was published (the
 * copies ahead of it were published earlier with at most the same TTL), but within a tight burst a short
 * expiration waits behind a longer one: the burst comes back spread over its own length, or somewhat earlier,
 * not over the whole 20 %. That bound (never later, sometimes earlier) is acceptable for retries; spreading a
 * single burst further would need more delay queues per tier.
 */
public final class NotificationWorker {

  private static final Logger log = LoggerFactory.getLogger(NotificationWorker.class);
  /** How often the worker checks that it consumes when it should. */
  private static final long SUPERVISE_MS = 5000;
  static final String ATTEMPT_HEADER = "x-roster-attempt";

  /** A message's body and properties as they arrived, handled on the worker's context. */
  private interface Arrival {
    /** Completes once the message is settled. */
    Future<?> handle(Envelope envelope, AMQP.BasicProperties props, byte[] body);
  }

  /** A database call of a delivery step failed: the worker backs off instead of counting it as an attempt. */
  private static final class DatabaseDown extends RuntimeException {
    DatabaseDown(Throwable cause) {
      super(cause.getMessage(), cause, false, false);
    }
  }

  private final Vertx vertx;
  private final Context context;
  private final Pool pool;
  private final NotificationRepository repository;
  private final MemberRepository members = new MemberRepository();
  private final Map<String, NotificationChannel> channels;
  private final Templates templates;
  private final NotificationMetrics metrics;
  private final DatabaseRecovery database;
  private final int maxAttempts;
  private final int prefetch;
  private final long sendTimeoutMs;
  /** Channel → most deliveries a member gets per hour (SMS and push cost money and wake phones). */
  private final Map<String, Integer> hourlyCaps = new java.util.HashMap<>();
  private BrokerConnection broker;
  private int inFlight;
  private final java.util.List<String> consumerTags = new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile Channel consuming;
  /** While the database is down no consumer runs; set on the worker's context, read by the (re)connect too. */
  private volatile boolean paused;
  private volatile boolean stopping;
  private long supervisor = -1;
  /** The last check found no consumer although there should be one. */
  private boolean idleSeen;

  public NotificationWorker(Vertx vertx, Pool pool, NotificationRepository repository,
                            Map<String, NotificationChannel> channels, Templates templates, NotificationMetrics metrics,
                            int maxAttempts, int prefetch, long sendTimeoutMs) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.pool = pool;
    this.repository = repository;
    this.channels = channels;
    this.templates = templates;
    this.metrics = metrics;
    this.maxAttempts = maxAttempts;
    this.prefetch = prefetch;
    this.sendTimeoutMs = sendTimeoutMs;
    this.database = new DatabaseRecovery(vertx, pool, new ops.Backoff(500, 10_000), "notification worker",
        this::pause, this::resume);
  }

  /** Caps a member's deliveries over {@code channel} per hour; beyond it a delivery fails without being sent. */
  public NotificationWorker capPerHour(String channel, int max) {
    hourlyCaps.put(channel, max);
    return this;
  }

  public void attach(BrokerConnection broker) {
    this.broker = broker;
    supervisor = vertx.setPeriodic(SUPERVISE_MS, id -> superviseConsumers());
  }

  /**
   * Consumption never ends silently: when two checks in a row find no consumer although the database and the
   * broker answer and the worker is neither paused nor stopping (a resume that met a broker reconnect half-way
   * would leave it so), the consumers are started again.
   */
  private void superviseConsumers() {
    Channel ch = consuming;
    boolean idle = !paused && !stopping && !database.isDown() && ch != null && ch.isOpen() && consumerTags.isEmpty();
    if (idle && idleSeen) {
      log.warn("notification worker: no consumer although the database and the broker answer; consuming again");
      broker.callOn(ch, this::startConsumers).onFailure(e -> log.warn("cannot consume again yet ({})", e.getMessage()));
    }
    idleSeen = idle;
  }

  public int inFlight() {
    return inFlight;
  }

  /**
   * A clean stop (rolling deploy, scale-down): take no new messages, and let the deliveries in flight finish
   * and be acknowledged (up to the send timeout, and at most {@code timeoutMs}), so none is left half-sent to be
   * sent again after its lease.
   */
  public Future<Void> drain(long timeoutMs) {
    stopping = true;
    vertx.cancelTimer(supervisor);
    database.close();
    long waitMs = Math.min(timeoutMs, sendTimeoutMs + 2000);
    return cancelConsumers().otherwiseEmpty().compose(v -> waitForIdle(System.currentTimeMillis() + waitMs));
  }

  private Future<Void> waitForIdle(long deadline) {
    if (inFlight == 0 || System.currentTimeMillis() > deadline) {
      if (inFlight > 0) {
        log.warn("stopping with {} delivery(ies) still in flight; they will be retried after their lease", inFlight);
      }
      return Future.succeededFuture();
    }
    io.vertx.core.Promise<Void> later = io.vertx.core.Promise.promise();
    vertx.setTimer(50, t -> waitForIdle(deadline).onComplete(later));
    return later.future();
  }

  /** Runs on each (re)connect, on a worker thread: prefetch, confirms for retry publishing, consumers. */
  public Void onConnected(Channel ch) throws IOException {
    ch.basicQos(prefetch);
    ch.confirmSelect();
    synchronized (this) {
      consumerTags.clear();
      consuming = ch;
    }
    if (!paused && !stopping) {
      startConsumers(ch);
    }
    return null;
  }

  /** Worker thread: consumes the channel queues and their dead-letter queues (once per channel object). */
  private synchronized Void startConsumers(Channel ch) throws IOException {
    if (ch != consuming || !consumerTags.isEmpty()) {
      return null;
    }
    Topology topology = broker.topology();
    for (String channel : Topology.CHANNELS) {
      consume(ch, topology.queue(channel), (envelope, props, body) -> handle(ch, channel, envelope, props, body));
      consume(ch, topology.deadLetterQueue(channel),
          (envelope, props, body) -> handleDeadLetter(ch, channel, envelope, props, body));
    }
    return null;
  }

  private void consume(Channel ch, String queue, Arrival arrival) throws IOException {
    String consumerTag = "roster-worker-" + queue + "-" + UUID.randomUUID();
    consumerTags.add(consumerTag);
    ch.basicConsume(queue, false, consumerTag, new DefaultConsumer(ch) {
      @Override
      public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
        // each message on its own context: its trace and request id never leak into the next one
        tracing.MessageContexts.dispatch(context, queue, props.getHeaders(), () -> arrival.handle(envelope, props, body));
      }
    });
  }

  /** Cancels every consumer; what they were sent but not yet handled still arrives and is handled. */
  private Future<Void> cancelConsumers() {
    Channel ch = consuming;
    List<String> tags;
    synchronized (this) {
      tags = List.copyOf(consumerTags);
      consumerTags.clear();
    }
    if (ch == null || tags.isEmpty()) {
      return Future.succeededFuture();
    }
    return broker.callOn(ch, c -> {
      for (String tag : tags) {
        c.basicCancel(tag);
      }
      return null;
    });
  }

  /** The database stopped answering: take no more messages until it does. */
  private void pause() {
    paused = true;
    cancelConsumers().onFailure(e -> log.debug("cancelling consumers: {}", e.getMessage()));
  }

  /**
   * The database answers again: consume on the channel of the last connect. Not the broker's current channel: a
   * reconnect sets that only after onConnected ran, which, still paused then, started nothing. paused is cleared
   * before consuming is read here, and onConnected sets consuming before it reads paused, so one of the two
   * always starts the consumers (startConsumers runs once per channel).
   */
  private void resume() {
    paused = false;
    Channel ch = consuming;
    if (!stopping && ch != null && ch.isOpen()) {
      broker.callOn(ch, this::startConsumers).onFailure(e -> log.warn("cannot consume again yet ({}); the next "
          + "broker connection will", e.getMessage()));
    }
  }

  private Future<?> handle(Channel ch, String queueChannel, Envelope envelope, AMQP.BasicProperties props,
                           byte[] body) {
    long tag = envelope.getDeliveryTag();
    NotificationMessage message = readOrPark(ch, queueChannel, tag, props, body);
    if (message == null) {
      return Future.succeededFuture();
    }
    int attempt = attemptOf(props);
    inFlight++;
    // while the database is down, a message still arriving (sent before the consumers were cancelled) waits
    Future<Void> handled = database.isDown() ? holdBack(ch, tag, message, attempt)
        : bounded(repository.claim(pool, message, sendTimeoutMs + 10_000)).transform(claim -> claim.failed()
            ? backOff(claim.cause()).compose(v -> holdBack(ch, tag, message, attempt))
            : settleClaim(ch, tag, message, attempt, claim.result()));
    return handled.onComplete(done -> {
      inFlight--;
      if (done.failed()) {
        // the broker connection failed or the worker is stopping: unacked, the message comes back to a worker
        log.warn("delivery of {} via {} not settled: {}", message.notificationId(), message.channel(),
            done.cause().getMessage());
      }
    });
  }

  private Future<Void> settleClaim(Channel ch, long tag, NotificationMessage message, int attempt, Claim claim) {
    return switch (claim) {
      case SENT, FAILED -> broker.ack(ch, tag);
      // another copy is being sent right now: look again after a delay (its holder may have died)
      case BUSY -> publishDelayed(ch, message, attempt, Math.max(attempt - 1, 1), 0)
          .compose(delay -> broker.ack(ch, tag));
      case CLAIMED -> send(ch, tag, message, attempt);
    };
  }

  private Future<Void> send(Channel ch, long tag, NotificationMessage message, int attempt) {
    return deliver(message).transform(sent -> {
      if (sent.succeeded()) {
        // sent is sent: recording it waits out a database outage, so it is never sent again for want of a record
        return recorded(() -> repository.markSent(pool, message)).compose(v -> {
          metrics.delivered(message.channel());
          return broker.ack(ch, tag);
        });
      }
      if (sent.cause() instanceof DatabaseDown down) {
        return backOff(down.getCause()).compose(v -> holdBack(ch, tag, message, attempt));
      }
      return failed(ch, tag, message, attempt, sent.cause());
    });
  }

  /** Reports a database failure (consumption stops until it answers); the step itself goes on at once. */
  private Future<Void> backOff(Throwable error) {
    database.failed(error);
    return Future.succeededFuture();
  }

  /** The database is down and nothing was recorded: a copy waits in the shortest delay queue, same attempt. */
  private Future<Void> holdBack(Channel ch, long tag, NotificationMessage message, int attempt) {
    return publishDelayed(ch, message, attempt, 1, 0).compose(delay -> broker.ack(ch, tag));
  }

  /**
   * Writes an outcome; while the database is down (or a write goes unanswered), tries again each time it answers
   * (the message stays held). A write that went unanswered may have applied: tried again, a sent delivery is still
   * recorded once (a retry or a failure may count one attempt more).
   */
  private <T> Future<T> recorded(Supplier<Future<T>> write) {
    return bounded(write.get()).recover(error -> database.failed(error).compose(v -> recorded(write)));
  }

  /**
   * A message in a dead-letter queue (put there by the broker) becomes a failed delivery, listed and retryable
   * through the API; then it is acked. Unreadable ones are parked.
   */
  private Future<?> handleDeadLetter(Channel ch, String queueChannel, Envelope envelope, AMQP.BasicProperties props,
                                     byte[] body) {
    long tag = envelope.getDeliveryTag();
    NotificationMessage message = readOrPark(ch, queueChannel, tag, props, body);
    if (message == null) {
      return Future.succeededFuture();
    }
    String why = DeadLetterReason.of(props);
    inFlight++;
    return recorded(() -> repository.markDeadLettered(pool, message, why))
        .compose(marked -> {
          if (marked) {
            metrics.deadLettered(message.channel());
            log.warn("delivery of {} via {} recorded failed: {}", message.notificationId(), message.channel(), why);
          } else {
            log.info("a dead letter of {} via {} dropped: the delivery is sent, failed or being sent",
                message.notificationId(), message.channel());
          }
          return broker.ack(ch, tag);
        })
        .onComplete(done -> {
          inFlight--;
          if (done.failed()) {
            log.warn("dead letter {} via {} not recorded yet: {}", message.notificationId(), message.channel(),
                done.cause().getMessage());
          }
        });
  }

  /** The message, or null when it is unreadable: then it is parked. */
  private NotificationMessage readOrPark(Channel ch, String queueChannel, long tag, AMQP.BasicProperties props,
                                         byte[] body) {
    try {
      return NotificationMessage.parse(body);
    } catch (IllegalArgumentException e) {
      park(ch, queueChannel, tag, props, body, e.getMessage());
      return null;
    }
  }

  /** An unreadable message goes to the parked queue for ops (confirmed), then is acked; nothing else reads it. */
  private void park(Channel ch, String queueChannel, long tag, AMQP.BasicProperties props, byte[] body, String why) {
    log.warn("parking an unreadable message from the {} queues: {}", queueChannel, why);
    metrics.poison(queueChannel);
    // no expiration: a parked message must not expire into the void
    AMQP.BasicProperties kept = props.builder().expiration(null).build();
    broker.publishConfirmed(ch, broker.topology().parkedQueue(queueChannel), kept, body)
        .compose(v -> broker.ack(ch, tag))
        .onFailure(e -> log.warn("could not park an unreadable message ({}); the broker will redeliver it",
            e.getMessage()));
  }

  private Future<Void> deliver(NotificationMessage message) {
    NotificationChannel channel = channels.get(message.channel());
    if (channel == null) {
      return Future.failedFuture(DeliveryException.permanent("the " + message.channel() + " channel is not configured"));
    }
    String event = message.payload().getString("eventId");
    return withinHourlyCap(message)
        .compose(v -> bounded(repository.recipient(pool, message.memberId(), event == null ? null : UUID.fromString(event)))
            .recover(NotificationWorker::databaseDown))
        .compose(recipient -> {
          if (recipient == null) {
            return Future.failedFuture(DeliveryException.permanent("the member no longer exists"));
          }
          try {
            return channel.send(recipient, templates.render(message.kind(), recipient));
          } catch (IllegalArgumentException e) {
            return Future.failedFuture(DeliveryException.permanent(e.getMessage()));
          }
        })
        .timeout(sendTimeoutMs, TimeUnit.MILLISECONDS);
  }

  private static <T> Future<T> databaseDown(Throwable error) {
    return Future.failedFuture(new DatabaseDown(error));
  }

  private Future<Void> withinHourlyCap(NotificationMessage message) {
    Integer cap = hourlyCaps.get(message.channel());
    if (cap == null || message.memberId() == null) {
      return Future.succeededFuture();
    }
    return bounded(repository.sentInLastHour(pool, message)).recover(NotificationWorker::databaseDown)
        .compose(sent -> sent < cap ? Future.succeededFuture()
            : Future.failedFuture(DeliveryException.permanent("rate limited: the member already had " + sent + " "
                + message.channel() + " deliveries in the last hour (the cap is " + cap + " per hour)")));
  }

  private Future<Void> failed(Channel ch, long tag, NotificationMessage message, int attempt, Throwable error) {
    // what a provider answered may hold the member's phone, address or token: none of it reaches a log or lastError
    String reason = Redaction.apply(error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage());
    boolean permanent = error instanceof DeliveryException d && d.permanent();
    if (permanent || attempt >= maxAttempts) {
      StaleContact stale = error instanceof DeliveryException d ? d.staleContact() : null;
      metrics.failed(message.channel());
      // the failed row is the record ops list and retry: only once it says so is the message let go
      return recorded(() -> forget(message, stale)).compose(done -> {
        String why = done == null ? reason : reason + "; " + done;
        log.warn("delivery of {} via {} failed after {} attempt(s): {}", message.notificationId(), message.channel(),
            attempt, why);
        return recorded(() -> repository.markFailed(pool, message, why));
      }).compose(v -> broker.ack(ch, tag));
    }
    long retryAfter = error instanceof DeliveryException d ? d.retryAfterMs() : 0;
    int next = attempt + 1;
    int delayLevel = retryAfter > 0 ? broker.topology().attemptForDelay(retryAfter, next) : Math.max(next - 1, 1);
    metrics.retried(message.channel());
    return publishDelayed(ch, message, next, delayLevel, retryAfter)
        .compose(delayMs -> recorded(() -> repository.markRetrying(pool, message, reason, delayMs)))
        .compose(v -> broker.ack(ch, tag));
  }

  /**
   * Updates the member after a provider said its address is dead, so later notifications do not try it again.
   * @return what was done, in words for lastError, or null when there was nothing to do
   */
  private Future<String> forget(NotificationMessage message, StaleContact stale) {
    if (stale == null || message.memberId() == null) {
      return Future.succeededFuture();
    }
    return switch (stale.kind()) {
      case PUSH_TOKEN_GONE -> members.clearPushToken(pool, message.memberId(), stale.value()).map(changed -> changed
          ? "the member's push token was cleared" : "the member's push token had changed since: kept");
      case PHONE_INVALID -> members.clearPhone(pool, message.memberId(), stale.value()).map(changed -> changed
          ? "the member's phone number was cleared" : "the member's phone number had changed since: kept");
      case SMS_OPTED_OUT -> members.stopSms(pool, message.memberId(), stale.value())
          .map(changed -> changed ? "sms was removed from the member's channels"
              : "the member's phone number or channels had changed since: kept");
    };
  }

  /**
   * Publishes a copy to the delay queue of {@code delayLevel} (confirmed), carrying {@code attempt}, to come back
   * after the queue's TTL less a random 0-20 % (see the class comment), and not before a provider's Retry-After.
   * @return the delay the copy was given
   */
  private Future<Long> publishDelayed(Channel ch, NotificationMessage message, int attempt, int delayLevel,
                                      long atLeastMs) {
    Topology topology = broker.topology();
    long ttl = topology.retryDelayMs(delayLevel);
    long delayMs = Math.max(ttl - ThreadLocalRandom.current().nextLong(ttl / 5 + 1), Math.min(atLeastMs, ttl));
    AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().contentType("application/json").deliveryMode(2)
        .messageId(message.notificationId().toString()).type(message.kind()).expiration(Long.toString(delayMs))
        .headers(tracing.MessageHeaders.withCurrentTrace(Map.of(ATTEMPT_HEADER, attempt))).build();
    return broker.publishConfirmed(ch, topology.retryQueue(message.channel(), delayLevel), props,
        message.toBuffer().getBytes()).map(delayMs);
  }

  private static int attemptOf(AMQP.BasicProperties props) {
    Object value = props.getHeaders() == null ? null : props.getHeaders().get(ATTEMPT_HEADER);
    return value instanceof Number n ? Math.max(1, n.intValue()) : 1;
  }
}
