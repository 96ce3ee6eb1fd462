package verticles;

import auth.BearerAuthHandler;
import auth.JwksCache;
import auth.MemberLinks;
import auth.RolesClaim;
import auth.TokenVerifier;
import auth.VerifiedTokenCache;
import bookings.BookingMetrics;
import bookings.BookingRepository;
import bookings.BookingService;
import config.AppConfig;
import events.EventRepository;
import events.EventService;
import handlers.BookingHandlers;
import handlers.EventHandlers;
import handlers.MemberHandlers;
import handlers.NotificationHandlers;
import handlers.ProblemHandler;
import handlers.ScheduleHandlers;
import handlers.CronHandlers;
import handlers.WebhookHandlers;
import webhooks.AddressPolicy;
import webhooks.WebhookRepository;
import webhooks.WebhookService;
import cron.CronRepository;
import cron.CronService;
import idempotency.IdempotencyHandler;
import idempotency.IdempotencyRepository;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.openapi.router.OpenAPIRoute;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.micrometer.backends.BackendRegistries;
import io.vertx.sqlclient.Pool;
import logging.AccessLog;
import logging.RequestIdHandler;
import logging.RouteTemplate;
import members.MemberRepository;
import members.MemberService;
import notifications.BrokerHealth;
import notifications.NotificationRepository;
import notifications.NotificationService;
import ops.CloseWhenStopping;
import ops.NodeState;
import ops.OpsRoutes;
import ops.Probes;
import org.slf4j.Logger;
import ratelimit.ClientAddress;
import ratelimit.RateLimiter;
import ratelimit.RatePolicies;
import org.slf4j.LoggerFactory;
import schedules.ScheduleRepository;
import schedules.ScheduleService;
import validation.CompiledValidation;
import web.ContractLoader;
import web.ApiOnly;
import web.JsonContentType;
import web.RequestDeadline;
import web.StorableText;

import java.util.concurrent.TimeUnit;

/**
 * One HTTP server instance: its own pool, the contract-built router, and the ops routes. Wiring only.
 * Stopping drains: the server stops accepting and lets in-flight requests finish (up to shutdown.graceMs),
 * the booking coalescer decides what it holds, and only then do the pools close.
 */
public final class HttpVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(HttpVerticle.class);
  /** After the server has drained, how long running booking batches get to commit before the pool closes. */
  private static final long BATCH_DRAIN_MS = 5000;

  private final JwksCache keys;
  private final VerifiedTokenCache verifiedTokens;
  private final MemberLinks memberLinks;
  private final String contractYaml;
  private final BrokerHealth brokerHealth;
  private final NodeState state;
  private final ratelimit.BucketStore rateBuckets;
  private Pool pool;
  private io.vertx.sqlclient.SqlClient reads;
  private Pool probe;
  private HttpServer server;
  private BookingService bookings;
  private long graceMs;

  /** {@code keys}, {@code verifiedTokens} and {@code memberLinks} are the node's, shared by its HTTP verticles. */
  public HttpVerticle(JwksCache keys, VerifiedTokenCache verifiedTokens, MemberLinks memberLinks, String contractYaml,
                      BrokerHealth brokerHealth, NodeState state, ratelimit.BucketStore rateBuckets) {
    this.keys = keys;
    this.verifiedTokens = verifiedTokens;
    this.memberLinks = memberLinks;
    this.rateBuckets = rateBuckets;
    this.contractYaml = contractYaml;
    this.brokerHealth = brokerHealth;
    this.state = state;
  }

  @Override
  public Future<?> start() {
    AppConfig config = new AppConfig(config());
    graceMs = config.shutdownGraceMs();
    pool = db.Database.pool(vertx, config);
    reads = db.Database.readClient(vertx, config);
    probe = db.Database.probePool(vertx, config);

    MemberRepository memberRepository = new MemberRepository();
    EventRepository eventRepository = new EventRepository();
    BookingRepository bookingRepository = new BookingRepository();
    WebhookRepository webhookRepository = new WebhookRepository();
    BookingMetrics metrics = new BookingMetrics(BackendRegistries.getDefaultNow());
    ops.CrossLoop.register();
    IdempotencyHandler idempotency = new IdempotencyHandler(pool, new IdempotencyRepository(), config.idempotencyTtlHours());
    TokenVerifier verifier = new TokenVerifier(vertx, keys, verifiedTokens, config.oidcIssuer(), config.oidcAudience(),
        config.oidcLeewaySeconds());
    ProblemHandler problems = new ProblemHandler();

    return ContractLoader.load(vertx, "openapi.yaml").compose(contract -> {
      RouterBuilder builder = RouterBuilder.create(vertx, contract, RequestExtractor.withBodyHandler());
      // Authentication runs before the contract router (so a missing token is 401 before any 400).
      builder.getRoutes().forEach(route -> route.setDoSecurity(false));
      // The hottest operations are validated by validators compiled from the contract, not by its interpreter:
      // first on their routes, before any other handler.
      CompiledValidation.install(builder, contract);
      // First handler of every operation: text the database cannot store is a 400 before anything is written.
      tracing.RouteSpanName.addTo(builder, tracing.Tracing.of(vertx));
      StorableText storableText = new StorableText();
      builder.getRoutes().forEach(route -> route.addHandler(storableText));
      new MemberHandlers(new MemberService(pool, memberRepository, webhookRepository,
          config.ratePhoneChangesPerDay())).register(builder, idempotency);
      new EventHandlers(new EventService(pool, reads, eventRepository, bookingRepository,
          webhookRepository)).register(builder, idempotency);
      bookings = new BookingService(pool, bookingRepository, eventRepository, metrics);
      if (config.coalesceBookings()) {
        bookings.coalescing(vertx, config.bookingBatchMax(), config.bookingBatchWindowMs(),
            config.bookingBatchConcurrency(), config.bookingQueueMax(), config.bookingQueueTimeoutMs());
      }
      new BookingHandlers(bookings).register(builder, idempotency);
      new NotificationHandlers(new NotificationService(pool, new NotificationRepository())).register(builder, idempotency);
      new ScheduleHandlers(new ScheduleService(pool, new ScheduleRepository())).register(builder, idempotency);
      new CronHandlers(new CronService(pool, new CronRepository(), config.nodeId())).register(builder, idempotency);
      new WebhookHandlers(new WebhookService(vertx, pool, webhookRepository,
          new AddressPolicy(config.webhooksAllowedHosts()))).register(builder, idempotency);
      Router api = builder.createRouter();
      api.route().failureHandler(problems);

      Router root = Router.router(vertx);
      // first: every answer, the earliest refusals and the ops routes included, carries the request id
      root.route().handler(new RequestIdHandler());
      if (config.logAccess()) {
        root.route().handler(new AccessLog(RouteTemplate.of(
            builder.getRoutes().stream().map(OpenAPIRoute::getOperation).toList())));
      }
      root.route().handler(new CloseWhenStopping(state, config.shutdownDelayMs() + graceMs));
      tracing.RouteSpanName.addFallbackTo(root, tracing.Tracing.of(vertx));
      OpsRoutes.mount(root, new Probes(vertx, probe, brokerHealth, state), contractYaml);
      // Path-less routes: they do not add themselves to the `route` label of HTTP metrics, which then
      // names only the operation's own path (e.g. /v1/events/:id).
      RateLimiter limiter = config.rateEnabled() ? new RateLimiter(rateBuckets, RatePolicies.from(config),
          new ClientAddress(config.rateTrustedProxies()), BackendRegistries.getDefaultNow()) : null;
      root.route()
          .handler(ApiOnly.of(new RequestDeadline(config.httpRequestTimeoutMs())))
          .handler(ApiOnly.of(new JsonContentType()))
          // before any step that may wait (a cluster-wide rate bucket, a JWKS refresh): BodyHandler must meet the
          // request before it has ended, or it fails it
          .handler(ApiOnly.of(BodyHandler.create(false).setBodyLimit(config.maxBodyBytes())));
      if (limiter != null) {
        root.route().handler(ApiOnly.of(limiter.beforeAuth()));
      }
      root.route().handler(ApiOnly.of(new BearerAuthHandler(verifier, memberLinks,
          new RolesClaim(config.oidcRolesClaim()))));
      if (limiter != null) {
        root.route().handler(ApiOnly.of(limiter.afterAuth()));
        // before the API's mount: its router would map the 401 first
        root.route().failureHandler(ApiOnly.of(limiter.afterRejectedToken()));
      }
      root.route().subRouter(api);
      root.route().failureHandler(problems);
      root.errorHandler(404, problems);
      root.errorHandler(405, problems);
      root.errorHandler(413, problems);
      root.errorHandler(500, problems);

      return vertx.createHttpServer(new HttpServerOptions()
              .setHost(config.httpHost())
              .setPort(config.httpPort())
              .setCompressionSupported(true)
              // HTTP/1.1 only: a client's h2c upgrade request (Java's HttpClient sends one by default) is answered
              // in HTTP/1.1, as the protocol allows; Vert.x's upgrade path left such answers cut or never ended
              .setHttp2ClearTextEnabled(false)
              // Bounded per connection: a hostile client can neither park an idle socket nor send endless headers
              // (too long a request line gets 414, too large a header block 431, before any routing)
              .setIdleTimeout(config.httpIdleTimeoutSeconds())
              .setIdleTimeoutUnit(TimeUnit.SECONDS)
              .setMaxInitialLineLength(config.httpMaxUriLength())
              .setMaxHeaderSize(config.httpMaxHeaderBytes()))
          .requestHandler(root)
          .listen();
    }).map(s -> {
      server = s;
      log.debug("HTTP verticle listening on {}", s.actualPort());
      return s;
    });
  }

  @Override
  public Future<?> stop() {
    // shutdown, not close (a zero-second shutdown): accepting stops at once, in-flight requests finish, and each
    // keep-alive connection closes after its response
    Future<Void> drained = server == null ? Future.succeededFuture()
        : server.shutdown(graceMs, TimeUnit.MILLISECONDS);
    return drained
        .eventually(() -> bookings == null ? Future.succeededFuture() : bookings.drain(BATCH_DRAIN_MS))
        .eventually(() -> pool == null ? Future.succeededFuture() : pool.close())
        .eventually(() -> reads == null ? Future.succeededFuture() : reads.close())
        .eventually(() -> probe == null ? Future.succeededFuture() : probe.close());
  }

}
