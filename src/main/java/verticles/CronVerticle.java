package verticles;

import config.AppConfig;
import cron.CronMetrics;
import cron.CronRepository;
import cron.CronService;
import cron.LeaderElection;
import cron.RunSweeper;
import cron.Scheduler;
import db.Database;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.micrometer.backends.BackendRegistries;
import io.vertx.sqlclient.Pool;
import notifications.DeliverySweeper;
import notifications.NotificationMetrics;
import notifications.NotificationRepository;
import webhooks.WebhookMetrics;
import webhooks.WebhookRepository;
import webhooks.WebhookSweeper;

import java.time.Clock;

/**
 * Wiring of the scheduler on this node: the built-in jobs, the leader's duties (the delivery, run and webhook
 * sweepers), and the leader loop ticking. One per node.
 */
public final class CronVerticle extends VerticleBase {

  private final LeaderElection election;
  private final CronMetrics metrics;
  private Pool pool;
  private Scheduler scheduler;
  private long timer = -1;

  public CronVerticle(LeaderElection election, CronMetrics metrics) {
    this.election = election;
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    AppConfig config = new AppConfig(config());
    pool = Database.schedulerPool(vertx, config);
    CronRepository repository = new CronRepository();
    scheduler = new Scheduler(pool, repository, election, metrics, config.nodeId(), config.leaseSeconds(),
        Clock.systemUTC())
        .duty("delivery-sweeper", config.sweeperIntervalMs(), new DeliverySweeper(new NotificationRepository(),
            new NotificationMetrics(BackendRegistries.getDefaultNow()), config.sweeperGraceMs())::sweep)
        .duty("run-sweeper", config.sweeperIntervalMs(),
            new RunSweeper(repository, metrics, config.sweeperGraceMs())::sweep)
        .duty("webhook-sweeper", config.sweeperIntervalMs(), new WebhookSweeper(new WebhookRepository(),
            new WebhookMetrics(BackendRegistries.getDefaultNow()), config.sweeperGraceMs())::sweep);
    return new CronService(pool, repository, config.nodeId()).ensureDefaults()
        .onSuccess(v -> timer = vertx.setPeriodic(config.schedulerTickMs(), t -> scheduler.tick()));
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    return scheduler.resign().eventually(() -> pool.close());
  }
}
