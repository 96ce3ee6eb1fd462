package cron;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import notifications.BrokerConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Runs job runs from the {ns}.tasks queue: starts the run (or skips it under "forbid" while another run of the
 * job is running), runs its task, and records the outcome. A failing task is retried through the delay queues
 * with growing delays up to the configured attempts, then its run is failed. A run whose worker died is taken
 * over once its lease expires.
 */
public final class TaskWorker {

  private static final Logger log = LoggerFactory.getLogger(TaskWorker.class);

  private final Vertx vertx;
  private final Context context;
  private final Pool pool;
  private final CronRepository repository;
  private final Tasks tasks;
  private final CronMetrics metrics;
  private final String node;
  private final int maxAttempts;
  private final long timeoutMs;
  private BrokerConnection broker;
  private volatile Channel consuming;
  private volatile String consumerTag;
  private int inFlight;

  public TaskWorker(Vertx vertx, Pool pool, CronRepository repository, Tasks tasks, CronMetrics metrics, String node,
                    int maxAttempts, long timeoutMs) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.pool = pool;
    this.repository = repository;
    this.tasks = tasks;
    this.metrics = metrics;
    this.node = node;
    this.maxAttempts = maxAttempts;
    this.timeoutMs = timeoutMs;
  }

  public void attach(BrokerConnection broker) {
    this.broker = broker;
  }

  /**
   * A clean stop: take no new run, and let the runs in flight finish and be recorded, for up to {@code timeoutMs}.
   * A run still going then is taken over by another worker once its lease expires, as after a crash.
   */
  public Future<Void> drain(long timeoutMs) {
    Channel ch = consuming;
    String tag = consumerTag;
    Future<Void> cancelled = ch == null || tag == null ? Future.succeededFuture() : broker.callOn(ch, c -> {
      c.basicCancel(tag);
      return null;
    });
    return cancelled.otherwiseEmpty().compose(v -> waitForIdle(System.currentTimeMillis() + timeoutMs));
  }

  private Future<Void> waitForIdle(long deadline) {
    if (inFlight == 0 || System.currentTimeMillis() > deadline) {
      if (inFlight > 0) {
        log.warn("stopping with {} task run(s) still running; another worker takes them over after their lease",
            inFlight);
      }
      return Future.succeededFuture();
    }
    io.vertx.core.Promise<Void> later = io.vertx.core.Promise.promise();
    vertx.setTimer(50, t -> waitForIdle(deadline).onComplete(later));
    return later.future();
  }

  /** Runs on each (re)connect, on a worker thread. */
  public Void onConnected(Channel ch) throws IOException {
    ch.basicQos(4);
    ch.confirmSelect();
    String tag = "roster-tasks-" + UUID.randomUUID();
    consumerTag = tag;
    consuming = ch;
    ch.basicConsume(broker.topology().taskQueue(), false, tag, new DefaultConsumer(ch) {
      @Override
      public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
        tracing.MessageContexts.dispatch(context, broker.topology().taskQueue(), props.getHeaders(),
            () -> handle(ch, envelope.getDeliveryTag(), body));
      }
    });
    return null;
  }

  /** Completes once the message is settled. */
  private Future<?> handle(Channel ch, long tag, byte[] body) {
    JsonObject message;
    UUID runId;
    try {
      message = new JsonObject(Buffer.buffer(body));
      runId = UUID.fromString(message.getString("runId"));
    } catch (DecodeException | IllegalArgumentException | NullPointerException | ClassCastException e) {
      log.warn("dead-lettering an unreadable task message: {}", e.getMessage());
      return broker.deadLetter(ch, tag);
    }
    int retry = message.getInteger("retry", 0);
    inFlight++;
    return pool.withTransaction(tx -> repository.start(tx, runId, node, timeoutMs))
        .compose(start -> switch (start) {
          case DONE -> broker.ack(ch, tag);
          case SKIPPED -> {
            metrics.run(message.getString("taskName", "?"), "skipped", null);
            yield broker.ack(ch, tag);
          }
          // running on a live worker: look again later, in case that worker dies
          case BUSY -> later(ch, message, Math.max(retry, 1)).compose(v -> broker.ack(ch, tag));
          case STARTED -> execute(ch, tag, runId, message, retry);
        })
        .onFailure(e -> {
          // the database or broker failed us: look again after a delay rather than spinning on a requeue
          log.warn("task run {} not settled: {}", runId, e.getMessage());
          later(ch, message, Math.max(retry, 1)).compose(v -> broker.ack(ch, tag))
              .onFailure(again -> broker.requeue(ch, tag));
        })
        .onComplete(settled -> inFlight--);
  }

  private Future<Void> execute(Channel ch, long tag, UUID runId, JsonObject message, int retry) {
    long started = System.nanoTime();
    return repository.runnable(pool, runId).compose(run -> {
      Task task = run == null ? null : tasks.get(run.taskName());
      if (task == null) {
        String name = run == null ? "?" : run.taskName();
        return repository.finish(pool, runId, "failed", "unknown task '" + name + "'").compose(v -> broker.ack(ch, tag));
      }
      JsonObject payload = task.defaults().mergeIn(run.payload() == null ? new JsonObject() : run.payload());
      Task.TaskContext ctx = context(runId, payload);
      return runSafely(task, ctx).timeout(timeoutMs, TimeUnit.MILLISECONDS).compose(
          summary -> {
            metrics.run(task.name(), "completed", Duration.ofNanos(System.nanoTime() - started));
            return repository.finish(pool, runId, "completed", null).compose(v -> broker.ack(ch, tag));
          },
          error -> {
            String reason = error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
            ctx.log("attempt " + run.attempts() + " failed: " + reason);
            if (run.attempts() >= maxAttempts) {
              metrics.run(task.name(), "failed", Duration.ofNanos(System.nanoTime() - started));
              log.warn("run {} of {} failed after {} attempt(s): {}", runId, task.name(), run.attempts(), reason);
              return repository.finish(pool, runId, "failed", reason).compose(v -> broker.ack(ch, tag));
            }
            metrics.run(task.name(), "retried", Duration.ofNanos(System.nanoTime() - started));
            return repository.retrying(pool, runId, reason)
                .compose(v -> later(ch, message, retry + 1))
                .compose(v -> broker.ack(ch, tag));
          });
    });
  }

  /** A task that throws instead of failing its future fails the attempt all the same. */
  private static Future<String> runSafely(Task task, Task.TaskContext ctx) {
    try {
      return task.run(ctx);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private Task.TaskContext context(UUID runId, JsonObject payload) {
    return new Task.TaskContext() {
      @Override
      public Pool pool() {
        return pool;
      }

      @Override
      public JsonObject payload() {
        return payload;
      }

      @Override
      public void log(String line) {
        repository.log(pool, runId, "info", line).onFailure(e -> log.debug("task log lost: {}", e.getMessage()));
      }
    };
  }

  /** A copy of the message into the delay queue of the given retry, confirmed, to come back after its TTL. */
  private Future<Void> later(Channel ch, JsonObject message, int retry) {
    byte[] body = message.copy().put("retry", retry).toBuffer().getBytes();
    String queue = broker.topology().taskRetryQueue(retry);
    AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().contentType("application/json").deliveryMode(2)
        .messageId(message.getString("runId")).headers(tracing.MessageHeaders.withCurrentTrace(null)).build();
    return broker.publishConfirmed(ch, queue, props, body);
  }
}
