package verticles;

import config.AppConfig;
import cron.CronMetrics;
import cron.CronRepository;
import cron.TaskRepository;
import cron.TaskWorker;
import cron.Tasks;
import cron.tasks.GenerateScheduleTask;
import cron.tasks.PurgeExpiredTask;
import cron.tasks.SendEventRemindersTask;
import db.Database;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.sqlclient.Pool;
import notifications.BrokerConnection;
import notifications.BrokerEndpoint;
import notifications.BrokerHealth;

import java.util.List;

/** Wiring of one task worker: its pool, the tasks it knows, and its broker connection consuming {ns}.tasks. */
public final class TaskWorkerVerticle extends VerticleBase {

  private final BrokerHealth health;
  private final CronMetrics metrics;
  private Pool pool;
  private BrokerConnection broker;
  private TaskWorker worker;
  private long graceMs;

  public TaskWorkerVerticle(BrokerHealth health, CronMetrics metrics) {
    this.health = health;
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    AppConfig config = new AppConfig(config());
    graceMs = config.shutdownGraceMs();
    pool = Database.pool(vertx, config, 4);
    TaskRepository taskRepository = new TaskRepository();
    Tasks tasks = new Tasks(List.of(new SendEventRemindersTask(taskRepository), new GenerateScheduleTask(),
        new PurgeExpiredTask(taskRepository, config.retentionDays())));
    worker = new TaskWorker(vertx, pool, new CronRepository(), tasks, metrics, config.nodeId(),
        config.taskMaxAttempts(), config.taskTimeoutMs());
    broker = new BrokerConnection(vertx, BrokerEndpoint.of(config), "roster-tasks", OutboxRelayVerticle.topologyOf(config),
        worker::onConnected);
    worker.attach(broker);
    health.register(broker);
    return broker.start();
  }

  /** Stops consuming, lets the runs in flight finish (up to shutdown.graceMs), then closes. */
  @Override
  public Future<?> stop() {
    health.unregister(broker);
    return worker.drain(graceMs).eventually(() -> broker.close()).eventually(() -> pool.close());
  }
}
