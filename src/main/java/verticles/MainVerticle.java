package verticles;

import auth.HttpJwksSource;
import auth.JwksCache;
import auth.MemberLinks;
import auth.VerifiedTokenCache;
import auth.JwksSource;
import config.AppConfig;
import config.ConfigLoader;
import config.ProviderUrl;
import config.RuntimeMode;
import db.Migrations;
import dev.DevEnvironment;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.backends.BackendRegistries;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import notifications.BrokerEndpoint;
import notifications.BrokerHealth;
import notifications.channels.PushSetup;
import cron.CronMetrics;
import cron.LeaderElection;
import ops.NodeState;
import ops.ShutdownSequence;
import members.MemberRepository;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads the configuration, prepares the database (and, in development mode, the embedded
 * dependencies), then deploys the other verticles with the configured instance counts. On SIGTERM,
 * {@link #shutdown()} drains them in order.
 */
public final class MainVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(MainVerticle.class);

  private final RuntimeMode mode;
  private final String confFile;
  private final Map<String, String> environment;
  private final BrokerHealth brokerHealth = new BrokerHealth();
  private final NodeState state = new NodeState();
  /** What runs on this node (as the shutdown log names it) → its deployment id. */
  private final Map<String, String> deployed = new ConcurrentHashMap<>();
  private volatile AppConfig settings;
  private final LeaderElection election;
  private CronMetrics cronMetrics;
  private DevEnvironment dev;
  private volatile int httpPort = -1;
  /** How workers reach the push API, or null: read once at start-up. */
  private volatile PushSetup push;

  public MainVerticle(RuntimeMode mode, String confFile, Map<String, String> environment) {
    this(mode, confFile, environment, LeaderElection.alone());
  }

  /** @param election who tries first for the scheduler lease: the oldest enabled member when clustered, else this node */
  public MainVerticle(RuntimeMode mode, String confFile, Map<String, String> environment, LeaderElection election) {
    this.mode = mode;
    this.confFile = confFile;
    this.environment = environment;
    this.election = election;
  }

  /** The port this node's HTTP server (the API, or only the probes) listens on, once started (for http.port 0). */
  public int httpPort() {
    return httpPort;
  }

  @Override
  public Future<?> start() {
    brokerHealth.measuredBy(BackendRegistries.getDefaultNow());
    return ConfigLoader.load(vertx, confFile, environment)
        .map(AppConfig::new)
        .map(MainVerticle::withNodeId)
        .compose(this::prepare)
        .compose(this::readPushSettings)
        .map(config -> settings = config)
        .compose(config -> Migrations.run(vertx, config).map(config))
        .compose(config -> dev == null ? Future.succeededFuture(config) : dev.seed(vertx, config).map(config))
        .compose(config -> deployHttp(config).compose(v -> deployNotifications(config))
            .compose(v -> deployScheduler(config))
            .compose(v -> deployProbes(config)))
        .onSuccess(v -> state.started());
  }

  /**
   * Drains this node, as SIGTERM asks: readiness 503 at once, serving for shutdown.delayMs, then the API (its
   * in-flight requests and booking batches), the workers (their deliveries) and the scheduler (its lease) stop
   * together, then the relay (it publishes what the last requests wrote), then the probes' server. What is left
   * (this verticle, the development dependencies) goes with Vert.x.
   */
  public Future<Void> shutdown() {
    if (context == null) { // not even deployed yet
      return Future.succeededFuture();
    }
    AppConfig config = settings;
    // a node that never became ready has no traffic to wait for
    long delay = config == null || !state.serving() ? 0 : config.shutdownDelayMs();
    state.stop(); // readiness 503 from now on, not from when the event loop gets to it
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> new ShutdownSequence(vertx, state, delay)
        .then(deployments("API", "notification workers", "task workers", "scheduler"))
        .then(deployments("outbox relay"))
        .then(deployments("probe server"))
        .run().onComplete(done));
    return done.future();
  }

  /** How long {@link #shutdown()} may take before the process gives up waiting (see AppConfig). */
  public long shutdownBudgetMs() {
    return (settings == null ? new AppConfig(new JsonObject()) : settings).shutdownBudgetMs();
  }

  private Map<String, String> deployments(String... roles) {
    Map<String, String> ids = new LinkedHashMap<>();
    for (String role : roles) {
      ids.put(role, deployed.get(role));
    }
    return ids;
  }

  /** Keeps a deployment's id under the name the shutdown log gives it. */
  private Future<String> record(String role, Future<String> deployment) {
    return deployment.onSuccess(id -> deployed.put(role, id));
  }

  /**
   * A node without the API still answers probes and Prometheus on the HTTP port. Deployed last: its
   * {@code /health/live} answering means the node has started (the startup probe).
   */
  private Future<Void> deployProbes(AppConfig config) {
    if (config.httpInstances() > 0) {
      return Future.succeededFuture();
    }
    AppConfig resolved = withPort(config);
    return record("probe server", vertx.deployVerticle(() -> new OpsVerticle(brokerHealth, state),
        new DeploymentOptions().setInstances(1).setConfig(resolved.json())))
        .map(id -> {
          httpPort = resolved.httpPort();
          log.info("no API on this node: health and metrics on http://{}:{}", resolved.httpHost(), httpPort);
          return null;
        });
  }

  /** The node's name in runs and status: configured, or host name plus a random suffix. */
  private static AppConfig withNodeId(AppConfig config) {
    if (!config.nodeId().isBlank()) {
      return config;
    }
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      host = "node";
    }
    return config.with("cluster", "nodeId", host + "-" + java.util.UUID.randomUUID().toString().substring(0, 6));
  }

  /** The scheduler loop (one per node; the lease picks the leader) and the task workers. */
  private Future<Void> deployScheduler(AppConfig config) {
    cronMetrics = new CronMetrics(io.vertx.micrometer.backends.BackendRegistries.getDefaultNow());
    Future<String> cron = !config.schedulerEnabled() ? Future.succeededFuture()
        : record("scheduler", vertx.deployVerticle(() -> new CronVerticle(election, cronMetrics),
            new DeploymentOptions().setInstances(1).setConfig(config.json())));
    Future<String> workers = config.amqpUrl().isBlank() || config.workerInstances() <= 0 ? Future.succeededFuture()
        : record("task workers", vertx.deployVerticle(() -> new TaskWorkerVerticle(brokerHealth, cronMetrics),
            new DeploymentOptions().setInstances(config.workerInstances()).setConfig(config.json())));
    return Future.all(cron, workers).<Void>mapEmpty()
        .onSuccess(v -> log.info("scheduler on node {}{}", config.nodeId(),
            config.schedulerEnabled() ? "" : " (this node never leads: scheduler.enabled=false)"));
  }

  /** The relay and the workers, when this node runs them and a broker is configured. */
  private Future<Void> deployNotifications(AppConfig config) {
    if (config.amqpUrl().isBlank()) {
      log.warn("no broker configured (ROSTER_AMQP_URL): outbox rows wait until a node with a relay publishes them");
      return Future.succeededFuture();
    }
    Future<String> relay = config.relayInstances() <= 0 ? Future.succeededFuture()
        : record("outbox relay", vertx.deployVerticle(() -> new OutboxRelayVerticle(brokerHealth),
            new DeploymentOptions().setInstances(config.relayInstances()).setConfig(config.json())));
    Future<String> workers = config.workerInstances() <= 0 ? Future.succeededFuture()
        : record("notification workers", vertx.deployVerticle(() -> new NotificationWorkerVerticle(brokerHealth, push),
            new DeploymentOptions().setInstances(config.workerInstances()).setConfig(config.json())));
    return Future.all(relay, workers).<Void>mapEmpty().onSuccess(v -> log.info(
        "notifications: {} relay(s), {} worker(s), broker {}", config.relayInstances(), config.workerInstances(),
        BrokerEndpoint.of(config).redacted()));
  }

  /**
   * Push's key file is read before anything starts (a missing or malformed one stops the node with one line);
   * the token cache it feeds is shared by this node's workers.
   */
  private Future<AppConfig> readPushSettings(AppConfig config) {
    if (config.workerInstances() <= 0 || "log".equals(config.notifyChannelOverride())) {
      return Future.succeededFuture(config);
    }
    return vertx.executeBlocking(() -> PushSetup.from(vertx, config))
        .map(setup -> {
          push = setup;
          return config;
        });
  }

  private Future<AppConfig> prepare(AppConfig config) {
    config.requireLogSettings();
    if (mode == RuntimeMode.DEVELOPMENT) {
      dev = new DevEnvironment();
      // Ctrl-C on a laptop: no load balancer to wait for
      return dev.start(vertx, config).map(c -> environment.containsKey("ROSTER_SHUTDOWN_DELAY_MS") ? c
          : c.with("shutdown", "delayMs", 0));
    }
    config.requireProductionSettings();
    return Future.succeededFuture(config);
  }

  private Future<Void> deployHttp(AppConfig config) {
    int instances = config.httpInstances();
    if (instances <= 0) {
      log.info("HTTP API off on this node (verticles.http.instances = 0)");
      return Future.succeededFuture();
    }
    AppConfig resolved = withPort(config);
    JwksSource source = resolved.devJwks() != null
        ? JwksSource.fixed(resolved.devJwks())
        // No redirects: an https URL must not lead the key fetch to a plain-http one.
        : new HttpJwksSource(WebClient.create(vertx, new WebClientOptions().setFollowRedirects(false)),
            resolved.oidcIssuer(), resolved.oidcJwksUrl(), resolved.oidcAllowHttp());
    warnAboutLaxTokenSettings(resolved);
    JwksCache keys = new JwksCache(source, resolved.jwksRefreshSeconds());
    // one per node, like the keys: a token checked, or a subject found linked, on one event loop is not asked again
    // on another
    VerifiedTokenCache verifiedTokens = new VerifiedTokenCache(resolved.oidcTokenCacheBytes());
    MemberLinks memberLinks = new MemberLinks(db.Database.linksClient(vertx, resolved), new MemberRepository());
    ratelimit.BucketStore buckets = rateBuckets();
    keys.refreshEvery(vertx, resolved.jwksMaxAgeSeconds());
    return vertx.fileSystem().readFile("openapi.yaml")
        .compose(contract -> keys.refresh().otherwiseEmpty()
            .compose(ignored -> record("API", vertx.deployVerticle(
                () -> new HttpVerticle(keys, verifiedTokens, memberLinks, contract.toString(), brokerHealth, state,
                    buckets),
                new DeploymentOptions().setInstances(instances).setConfig(resolved.json())))))
        .map(id -> {
          httpPort = resolved.httpPort();
          log.info("Roster API listening on http://{}:{} ({} HTTP verticle instance(s))", resolved.httpHost(),
              httpPort, instances);
          if (dev != null) {
            dev.printBanner(httpPort);
          }
          return null;
        });
  }

  /** One budget per caller across the cluster when clustered (Hazelcast), else this node's own buckets. */
  private ratelimit.BucketStore rateBuckets() {
    if (vertx.isClustered()
        && ((io.vertx.core.internal.VertxInternal) vertx).clusterManager() instanceof HazelcastClusterManager hz) {
      return new ratelimit.ClusterBuckets(hz.getHazelcastInstance());
    }
    return new ratelimit.LocalBuckets();
  }

  /** Settings ops may choose on purpose, but that weaken the token checks: say so where ops look. */
  private static void warnAboutLaxTokenSettings(AppConfig config) {
    if (config.devJwks() != null) {
      return;
    }
    for (String url : new String[] {config.oidcIssuer(), config.oidcJwksUrl()}) {
      if (!url.isBlank() && ProviderUrl.check(url, true) == ProviderUrl.Verdict.ALLOWED_HTTP) {
        log.warn("SECURITY: ROSTER_OIDC_ALLOW_HTTP=true: the identity provider at {} is reached over plain http; "
            + "anyone on that network path can swap its keys and forge tokens. Use it only inside a trusted "
            + "cluster network", url);
      }
    }
    if (config.oidcAudience().isBlank()) {
      log.warn("SECURITY: ROSTER_OIDC_REQUIRE_AUDIENCE=false and no ROSTER_OIDC_AUDIENCE: tokens the issuer made "
          + "for any of its clients are accepted");
    }
  }

  @Override
  public Future<?> stop() {
    return dev == null ? Future.succeededFuture() : dev.stop(vertx);
  }

  /** http.port 0 picks a free port, which the log then names. */
  private static AppConfig withPort(AppConfig config) {
    return config.httpPort() == 0 ? config.with("http", "port", freePort()) : config;
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
