package notifications;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import notifications.NotificationRepository.OutboxRow;
import io.vertx.core.json.JsonObject;
import ops.Backoff;
import webhooks.WebhookMessage;
import webhooks.WebhookRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Moves outbox rows to RabbitMQ in three short steps, so no database transaction stays open across a publish
 * (which can wait long when the broker applies flow control):
 * <ol>
 * <li>claim a batch with a lease ({@code claimed_until}, one statement): other relays skip these rows until the
 * lease ends;</li>
 * <li>publish one message per channel the member chose (persistent, {@code mandatory}, message id = notification
 * id; task rows: message id = run id) and wait for the broker's confirms, within {@code publishTimeoutMs};</li>
 * <li>mark the rows published, in a second short transaction, recording a pending delivery per notification
 * message and per webhook message (so the sweepers can tell when a message the broker lost is overdue).</li>
 * </ol>
 * A broker that is down, refuses a message or does not confirm in time fails the batch: its claim is released and
 * the rows are tried again; none is skipped. A relay that dies (or loses the database) between publishing and
 * marking leaves rows that another relay publishes again once their lease ends: delivery is at least once, and
 * consumers deduplicate (notification workers by notification id and channel, task workers by run id).
 */
public final class OutboxRelay {

  private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);
  /** How long a batch may take to publish and be confirmed; the claim lease must outlast it. */
  public static final long PUBLISH_TIMEOUT_MS = 15_000;
  /** How long a claimed batch stays this relay's: publish timeout, mark and slack, so a live relay keeps its rows. */
  public static final long CLAIM_LEASE_MS = 60_000;

  private final Vertx vertx;
  private final Pool pool;
  private final NotificationRepository repository;
  private final WebhookRepository webhooks = new WebhookRepository();
  private final NotificationMetrics metrics;
  private final int batchSize;
  private final long publishTimeoutMs;
  private final long claimLeaseMs;
  private final tracing.Tracing traces;
  private final Set<String> returned = ConcurrentHashMap.newKeySet();
  private BrokerConnection broker;
  private boolean draining;
  private boolean wakeAgain;
  /** A retry is scheduled: wakes meanwhile (poll, NOTIFY) wait for it instead of starting more failing batches. */
  private boolean backingOff;
  private boolean stopping;
  /** The batch being published, if any: a stop waits for it. */
  private Future<Integer> current = Future.succeededFuture(0);
  /** Between failed batches (database or broker trouble): 0.5 s doubling to 15 s, jittered. */
  private final Backoff backoff = new Backoff(500, 15_000);

  public OutboxRelay(Vertx vertx, Pool pool, NotificationRepository repository, NotificationMetrics metrics,
                     int batchSize, long publishTimeoutMs, long claimLeaseMs) {
    if (claimLeaseMs <= publishTimeoutMs) {
      throw new IllegalArgumentException("the claim lease must outlast the publish timeout");
    }
    this.vertx = vertx;
    this.pool = pool;
    this.repository = repository;
    this.metrics = metrics;
    this.batchSize = batchSize;
    this.publishTimeoutMs = publishTimeoutMs;
    this.claimLeaseMs = claimLeaseMs;
    this.traces = tracing.Tracing.of(vertx);
  }

  public void attach(BrokerConnection broker) {
    this.broker = broker;
  }

  /** Runs on each (re)connect, on a worker thread: confirms on, and unroutable messages noted. */
  public Void onConnected(Channel channel) throws IOException {
    channel.confirmSelect();
    channel.addReturnListener(r -> returned.add(r.getProperties().getMessageId() + "/" + r.getRoutingKey()));
    vertx.runOnContext(v -> wake());
    return null;
  }

  /** Something may be waiting in the outbox: drain it (one drain at a time; a wake during one repeats it). */
  public void wake() {
    if (stopping || broker == null || !broker.isConnected()) {
      return; // onConnected wakes us once the broker is there
    }
    if (draining) {
      wakeAgain = true;
      return;
    }
    if (backingOff) {
      return;
    }
    draining = true;
    wakeAgain = false;
    current = drainBatch();
    current.onComplete(result -> {
      draining = false;
      if (result.failed()) {
        long delay = backoff.nextDelayMs();
        log.warn("outbox relay: {}; retrying in {} ms", result.cause().getMessage(), delay);
        backingOff = true;
        vertx.setTimer(delay, t -> {
          backingOff = false;
          wake();
        });
      } else {
        backoff.reset();
        if (result.result() == batchSize || wakeAgain) {
          wake();
        }
      }
    });
  }

  /**
   * A clean stop: no new batch starts; the batch being published is confirmed and marked, then one last batch
   * goes out (what this node's last requests wrote), so the broker connection can close under nothing.
   */
  public Future<Void> stop() {
    stopping = true;
    return current.otherwiseEmpty()
        .compose(v -> broker != null && broker.isConnected() ? drainBatch() : Future.succeededFuture(0))
        .onFailure(e -> log.warn("outbox relay: last batch not published ({}); the outbox keeps it", e.getMessage()))
        .otherwiseEmpty().mapEmpty();
  }

  private Future<Integer> drainBatch() {
    if (broker == null || !broker.isConnected()) {
      return Future.failedFuture("broker not connected");
    }
    return repository.claimUnpublished(pool, batchSize, claimLeaseMs).compose(rows -> rows.isEmpty()
        ? Future.succeededFuture(0)
        : publishAndMark(rows));
  }

  private Future<Integer> publishAndMark(List<OutboxRow> rows) {
    List<UUID> ids = rows.stream().map(OutboxRow::id).toList();
    List<Outgoing> messages = messagesOf(rows, broker.topology());
    Future<Void> published = messages.isEmpty() ? Future.succeededFuture()
        : broker.<Void>call(ch -> publish(ch, messages)).timeout(publishTimeoutMs, TimeUnit.MILLISECONDS);
    return published
        .recover(error -> repository.releaseClaim(pool, ids)
            .otherwiseEmpty() // a release that fails too: the lease ends on its own
            .compose(v -> Future.failedFuture(error)))
        .compose(v -> pool.withTransaction(tx -> repository.markPublished(tx, rows, notificationsOf(messages))
            .compose(marked -> webhooks.recordPending(tx, webhooksOf(messages)))))
        .map(v -> {
          messages.stream().filter(m -> m.notification() != null)
              .forEach(m -> metrics.published(m.routingKey()));
          return rows.size();
        });
  }

  /**
   * A message to publish: where to, its id (the notification or run id) and type, its body and its row's trace;
   * for a notification or a webhook also what it says, from which its delivery row is made (null otherwise).
   */
  record Outgoing(String exchange, String routingKey, String messageId, String type, byte[] body,
                  tracing.TraceStamp trace, NotificationMessage notification, WebhookMessage webhook) {
  }

  static List<NotificationMessage> notificationsOf(List<Outgoing> messages) {
    return messages.stream().map(Outgoing::notification).filter(java.util.Objects::nonNull).toList();
  }

  static List<WebhookMessage> webhooksOf(List<Outgoing> messages) {
    return messages.stream().map(Outgoing::webhook).filter(java.util.Objects::nonNull).toList();
  }

  /**
   * A notification row becomes one message per chosen channel (a manual retry carries its own notification id
   * and one channel); a task row ({@code task.*}, from the scheduler) one message to the task queue.
   */
  static List<Outgoing> messagesOf(List<OutboxRow> rows, Topology topology) {
    List<Outgoing> messages = new ArrayList<>();
    for (OutboxRow row : rows) {
      for (WebhookMessage webhook : WebhookMessage.of(row.id(), row.payload())) {
        messages.add(new Outgoing(topology.webhookExchange(), Topology.WEBHOOK_ROUTING_KEY,
            webhook.messageId().toString(), webhook.type(), webhook.toBuffer().getBytes(), row.trace(), null,
            webhook));
      }
      if (row.kind().startsWith("webhook")) {
        continue; // a row for webhooks only
      }
      if (row.kind().startsWith("task.")) {
        messages.add(new Outgoing(topology.taskExchange(), Topology.TASK_ROUTING_KEY,
            row.payload().getString("runId", row.id().toString()), row.kind(), row.payload().toBuffer().getBytes(),
            row.trace(), null, null));
        continue;
      }
      JsonObject payload = WebhookMessage.withoutWebhook(row.payload());
      String member = payload.getString("memberId");
      if (member == null) {
        continue;
      }
      String original = payload.getString("notificationId");
      UUID notificationId = original == null ? row.id() : UUID.fromString(original);
      for (String channel : row.channels()) {
        if (Topology.CHANNELS.contains(channel)) {
          NotificationMessage m = new NotificationMessage(notificationId, row.kind(), channel, UUID.fromString(member),
              payload);
          messages.add(new Outgoing(topology.exchange(), channel, notificationId.toString(), row.kind(),
              m.toBuffer().getBytes(), row.trace(), m, null));
        }
      }
    }
    return messages;
  }

  /** Worker thread: publish all, then wait for every confirm; a returned (unroutable) message fails the batch. */
  private Void publish(Channel ch, List<Outgoing> messages) throws Exception {
    tracing.PublishSpans spans = new tracing.PublishSpans(traces);
    try {
      confirmed(ch, messages, spans);
      spans.end(null);
    } catch (Exception e) {
      spans.end(e);
      throw e;
    }
    return null;
  }

  private void confirmed(Channel ch, List<Outgoing> messages, tracing.PublishSpans spans) throws Exception {
    for (Outgoing m : messages) {
      AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
          .contentType("application/json").deliveryMode(2).messageId(m.messageId()).type(m.type())
          .headers(spans.headers(m.trace(), m.exchange(), m.routingKey(), m.messageId())).build();
      ch.basicPublish(m.exchange(), m.routingKey(), true, props, m.body());
    }
    ch.waitForConfirmsOrDie(publishTimeoutMs);
    List<String> bounced = new ArrayList<>();
    for (Outgoing m : messages) {
      if (returned.remove(m.messageId() + "/" + m.routingKey())) {
        bounced.add(m.messageId() + "/" + m.routingKey());
      }
    }
    if (!bounced.isEmpty()) {
      throw new IOException("the broker could not route " + bounced.size() + " message(s), e.g. " + bounced.get(0));
    }
  }

  /** Updates the backlog gauges and dead-letter depths. */
  public Future<Void> observe() {
    Future<Void> backlog = repository.backlog(pool).map(b -> {
      metrics.backlog(b[0], b[1]);
      return null;
    });
    if (broker == null || !broker.isConnected()) {
      return backlog;
    }
    Future<Void> depths = broker.call(ch -> {
      for (String channel : Topology.CHANNELS) {
        metrics.deadLetters(channel, ch.messageCount(broker.topology().deadLetterQueue(channel)));
        metrics.parked(channel, ch.messageCount(broker.topology().parkedQueue(channel)));
      }
      return null;
    });
    return Future.all(backlog, depths).mapEmpty();
  }
}
