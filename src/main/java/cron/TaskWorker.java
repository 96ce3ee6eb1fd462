package cron;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import db.Database;
import db.DatabaseRecovery;
import notifications.BrokerConnection;
import ops.Backoff;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Runs job runs from the {ns}.tasks queue: starts the run (or skips it under "forbid" while another run of the
 * job is running), runs its task, and records the outcome. A failing task is retried through the delay queues
 * with growing delays up to the configured attempts, then its run is failed. A run whose worker died is taken
 * over once its lease expires (the leader's {@link RunSweeper} queues it again).
 * <p>The database going away is not the run's fault: a step that fails while the database does not answer (a
 * probe on the pool says so) stops the consumers, keeps the messages in hand unacknowledged, probes the pool
 * with jittered backoff, and on its return resumes the consumers and retries the step (the start, or the
 * recording of an outcome the task already reached: a task is not run again because its outcome could not be
 * written). So there is no requeue loop that would reach a quorum queue's delivery limit, and this worker never
 * dead-letters a run message. One that reaches {ns}.tasks.dlq anyway (the broker's delivery limit) is read from
 * there and its run failed with the reason, visible in the API; a manual trigger runs the job again.
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
  /** While the database does not answer: consumers stopped, the pool probed; the steps in hand wait for it. */
  private final DatabaseRecovery database;
  private BrokerConnection broker;
  private volatile Channel consuming;
  private volatile String consumerTag;
  private volatile String deadLetterTag;
  private volatile Channel consumersOn;
  private volatile boolean stopping;
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
    this.database = new DatabaseRecovery(vertx, pool, new Backoff(500, 15_000), "task worker",
        () -> stopConsuming().onFailure(e -> log.debug("consumers not cancelled: {}", e.getMessage())),
        this::consumeAgain);
  }

  public void attach(BrokerConnection broker) {
    this.broker = broker;
  }

  /**
   * A clean stop: take no new run, and let the runs in flight finish and be recorded, for up to {@code timeoutMs}.
   * A run still going then is taken over by another worker once its lease expires, as after a crash.
   */
  public Future<Void> drain(long timeoutMs) {
    stopping = true;
    database.close(); // what waits for the database is given back: the broker redelivers it
    return stopConsuming().otherwiseEmpty().compose(v -> waitForIdle(System.currentTimeMillis() + timeoutMs));
  }

  private Future<Void> waitForIdle(long deadline) {
    if (inFlight == 0 || System.currentTimeMillis() > deadline) {
      if (inFlight > 0) {
        log.warn("stopping with {} task run(s) still running; another worker takes them over after their lease",
            inFlight);
      }
      return Future.succeededFuture();
    }
    Promise<Void> later = Promise.promise();
    vertx.setTimer(50, t -> waitForIdle(deadline).onComplete(later));
    return later.future();
  }

  /** Runs on each (re)connect, on a worker thread; while the database is down the probe starts the consumers. */
  public Void onConnected(Channel ch) throws IOException {
    ch.basicQos(4);
    ch.confirmSelect();
    consuming = ch;
    if (!database.isDown() && !stopping) {
      startConsumers(ch);
    }
    return null;
  }

  /** On a worker thread: consume the task queue and its dead-letter queue on this channel (once). */
  private synchronized void startConsumers(Channel ch) throws IOException {
    if (consumersOn == ch) {
      return; // the probe and a reconnect may both start them
    }
    consumersOn = ch;
    String tag = "roster-tasks-" + UUID.randomUUID();
    consumerTag = tag;
    ch.basicConsume(broker.topology().taskQueue(), false, tag, new DefaultConsumer(ch) {
      @Override
      public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
        tracing.MessageContexts.dispatch(context, broker.topology().taskQueue(), props.getHeaders(),
            () -> handle(ch, envelope.getDeliveryTag(), body));
      }
    });
    String dlqTag = "roster-tasks-dlq-" + UUID.randomUUID();
    deadLetterTag = dlqTag;
    ch.basicConsume(broker.topology().taskDeadLetterQueue(), false, dlqTag, new DefaultConsumer(ch) {
      @Override
      public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
        context.runOnContext(v -> deadLettered(ch, envelope.getDeliveryTag(), props, body));
      }
    });
  }

  /** Cancels both consumers; the messages in hand stay unacknowledged (the broker sends no more meanwhile). */
  private Future<Void> stopConsuming() {
    Channel ch = consuming;
    String tag = consumerTag;
    String dlqTag = deadLetterTag;
    consumerTag = null;
    deadLetterTag = null;
    consumersOn = null;
    if (ch == null || (tag == null && dlqTag == null)) {
      return Future.succeededFuture();
    }
    return broker.callOn(ch, c -> {
      if (tag != null) {
        c.basicCancel(tag);
      }
      if (dlqTag != null) {
        c.basicCancel(dlqTag);
      }
      return null;
    });
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
    return whileDatabaseAnswers(() -> pool.withTransaction(tx -> repository.start(tx, runId, node, timeoutMs)))
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
          if (stopping) {
            return; // unacknowledged: the broker redelivers it when this channel closes
          }
          // the database answers but this step failed, or the broker did: look again after a delay
          log.warn("task run {} not settled: {}", runId, e.getMessage());
          later(ch, message, Math.max(retry, 1)).compose(v -> broker.ack(ch, tag))
              .onFailure(again -> broker.requeue(ch, tag));
        })
        .onComplete(settled -> inFlight--);
  }

  /**
   * A message the broker dead-lettered (past the queue's delivery limit): its run fails with the reason, unless
   * it already ended or a live worker runs it. An unreadable one has no run to show: it is logged and dropped.
   */
  private void deadLettered(Channel ch, long tag, AMQP.BasicProperties props, byte[] body) {
    UUID runId;
    String taskName;
    try {
      JsonObject message = new JsonObject(Buffer.buffer(body));
      runId = UUID.fromString(message.getString("runId"));
      taskName = message.getString("taskName", "?");
    } catch (DecodeException | IllegalArgumentException | NullPointerException | ClassCastException e) {
      String text = new String(body, 0, Math.min(body.length, 200), java.nio.charset.StandardCharsets.UTF_8);
      log.warn("dropping an unreadable message from {}: {} ({})", broker.topology().taskDeadLetterQueue(),
          e.getMessage(), text);
      broker.ack(ch, tag);
      return;
    }
    String reason = "the broker dead-lettered its task message (" + deathOf(props) + "); "
        + "trigger the job again to run it";
    inFlight++;
    whileDatabaseAnswers(() -> repository.failDeadLettered(pool, runId, reason))
        .compose(failed -> {
          if (failed) {
            metrics.run(taskName, "failed", null);
            log.warn("run {} of {} failed: {}", runId, taskName, reason);
          }
          return broker.ack(ch, tag);
        })
        .onFailure(e -> log.warn("dead-lettered run {} not recorded yet: {}", runId, e.getMessage()))
        .onComplete(done -> inFlight--);
  }

  /** What the broker says about a dead-lettering: its reason and queue, from the first x-death entry. */
  private static String deathOf(AMQP.BasicProperties props) {
    Object deaths = props.getHeaders() == null ? null : props.getHeaders().get("x-death");
    if (deaths instanceof java.util.List<?> list && !list.isEmpty() && list.get(0) instanceof java.util.Map<?, ?> death) {
      return death.get("reason") + " from " + death.get("queue");
    }
    return "no x-death header";
  }

  /**
   * Runs a database step; when it fails, asks the pool whether the database answers at all. If it does, the
   * failure is the step's own and is returned. If not, the consumers stop and the step waits for the database's
   * return, then runs again.
   */
  private <T> Future<T> whileDatabaseAnswers(Supplier<Future<T>> step) {
    return step.get().recover(error -> {
      if (stopping) {
        return Future.failedFuture(error);
      }
      Future<Void> back = database.isDown() ? database.failed(error)
          : Database.ping(pool).transform(probe -> probe.succeeded() ? Future.failedFuture(error)
              : database.failed(error));
      return back.compose(v -> whileDatabaseAnswers(step));
    });
  }

  /** The database answers again: consume again on the current channel (a reconnect meanwhile starts them too). */
  private void consumeAgain() {
    Channel ch = consuming;
    if (ch != null && ch.isOpen() && !stopping) {
      broker.callOn(ch, c -> {
        startConsumers(c);
        return null;
      }).onFailure(e -> log.debug("consumers start again at the next connect: {}", e.getMessage()));
    }
  }

  private Future<Void> execute(Channel ch, long tag, UUID runId, JsonObject message, int retry) {
    long started = System.nanoTime();
    return whileDatabaseAnswers(() -> repository.runnable(pool, runId)).compose(run -> {
      Task task = run == null ? null : tasks.get(run.taskName());
      if (task == null) {
        String name = run == null ? "?" : run.taskName();
        return whileDatabaseAnswers(() -> repository.finish(pool, runId, "failed", "unknown task '" + name + "'"))
            .compose(v -> broker.ack(ch, tag));
      }
      JsonObject payload = task.defaults().mergeIn(run.payload() == null ? new JsonObject() : run.payload());
      Task.TaskContext ctx = context(runId, payload);
      return runSafely(task, ctx).timeout(timeoutMs, TimeUnit.MILLISECONDS).compose(
          summary -> {
            metrics.run(task.name(), "completed", Duration.ofNanos(System.nanoTime() - started));
            return whileDatabaseAnswers(() -> repository.finish(pool, runId, "completed", null))
                .compose(v -> broker.ack(ch, tag));
          },
          error -> {
            String reason = error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
            ctx.log("attempt " + run.attempts() + " failed: " + reason);
            if (run.attempts() >= maxAttempts) {
              metrics.run(task.name(), "failed", Duration.ofNanos(System.nanoTime() - started));
              log.warn("run {} of {} failed after {} attempt(s): {}", runId, task.name(), run.attempts(), reason);
              return whileDatabaseAnswers(() -> repository.finish(pool, runId, "failed", reason))
                  .compose(v -> broker.ack(ch, tag));
            }
            metrics.run(task.name(), "retried", Duration.ofNanos(System.nanoTime() - started));
            long nextAttemptInMs = broker.topology().taskRetryDelayMs(retry + 1);
            return whileDatabaseAnswers(() -> repository.retrying(pool, runId, reason, nextAttemptInMs))
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
