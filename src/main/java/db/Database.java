package db;

import config.AppConfig;
import config.ConfigException;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlClient;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Builds the PostgreSQL pool from the configuration. */
public final class Database {

  private Database() {
  }

  public static PgConnectOptions connectOptions(AppConfig config) {
    PgConnectOptions options;
    try {
      options = PgConnectOptions.fromUri(config.pgUrl());
    } catch (RuntimeException e) {
      throw new ConfigException("ROSTER_PG_URL is not a postgresql://user:password@host:port/database URL");
    }
    return withTimeouts(trustingRootCertificate(options, config.pgUrl()), config)
        .setCachePreparedStatements(true)
        .setPipeliningLimit(256)
        .setReconnectAttempts(0);
  }

  /**
   * Every pool's sessions: no statement runs, and no transaction stays open idle, longer than the configured
   * timeouts, so a slow database or a paused node cannot hold connections and row locks past the request's own
   * deadline (see conf/application.yaml for how the values relate).
   */
  private static PgConnectOptions withTimeouts(PgConnectOptions options, AppConfig config) {
    options.addProperty("statement_timeout", String.valueOf(config.pgStatementTimeoutMs()));
    options.addProperty("idle_in_transaction_session_timeout", String.valueOf(config.pgIdleInTransactionTimeoutMs()));
    return options;
  }

  /**
   * libpq's {@code sslrootcert=<PEM file>}: the CA the server's certificate must chain to. The Vert.x URL parser
   * ignores it, and {@code sslmode=verify-ca} or {@code verify-full} cannot connect without it.
   */
  private static PgConnectOptions trustingRootCertificate(PgConnectOptions options, String pgUrl) {
    String rootCertificate = parameter(pgUrl, "sslrootcert");
    if (rootCertificate != null && !rootCertificate.isBlank()) {
      options.setSslOptions(new io.vertx.core.net.ClientSSLOptions()
          .setTrustOptions(new io.vertx.core.net.PemTrustOptions().addCertPath(rootCertificate)));
    }
    return options;
  }

  private static String parameter(String url, String name) {
    int query = url.indexOf('?');
    for (String parameter : query < 0 ? new String[0] : url.substring(query + 1).split("&")) {
      if (parameter.startsWith(name + "=")) {
        return java.net.URLDecoder.decode(parameter.substring(name.length() + 1), java.nio.charset.StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  /** Each HTTP verticle has its own pool; distinct names keep their metrics apart. */
  private static final AtomicInteger POOLS = new AtomicInteger();

  public static Pool pool(Vertx vertx, AppConfig config) {
    return pool(vertx, config, config.pgPoolSize());
  }

  /** A pool of the given size (background roles need only a few connections). */
  public static Pool pool(Vertx vertx, AppConfig config, int size) {
    PoolOptions pool = new PoolOptions()
        .setName("roster-pg-" + POOLS.incrementAndGet())
        .setMaxSize(Math.min(size, config.pgPoolSize()))
        .setMaxWaitQueueSize(config.pgMaxWaitQueue())
        .setConnectionTimeout(config.pgWaitTimeoutMs())
        .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS)
        .setIdleTimeout(60)
        .setIdleTimeoutUnit(TimeUnit.SECONDS);
    // A database that does not answer within the connect timeout counts as down: requests get 503 quickly.
    NetClientOptions transport = new NetClientOptions().setConnectTimeout(config.pgConnectTimeoutMs());
    return PgBuilder.pool().with(pool).with(transport).connectingTo(connectOptions(config)).using(vertx).build();
  }

  /**
   * A small pool for the scheduler. A leader paused inside a claim (SIGSTOP, a long GC) must not keep the lease
   * row locked: PostgreSQL ends its idle transaction, and lock waits give up instead of queueing forever.
   */
  public static Pool schedulerPool(Vertx vertx, AppConfig config) {
    PgConnectOptions options = connectOptions(config);
    options.addProperty("idle_in_transaction_session_timeout", String.valueOf(config.leaseSeconds() * 500));
    options.addProperty("lock_timeout", "2000");
    PoolOptions pool = new PoolOptions().setName("roster-pg-" + POOLS.incrementAndGet()).setMaxSize(2)
        .setConnectionTimeout(config.pgWaitTimeoutMs()).setConnectionTimeoutUnit(TimeUnit.MILLISECONDS);
    NetClientOptions transport = new NetClientOptions().setConnectTimeout(config.pgConnectTimeoutMs());
    return PgBuilder.pool().with(pool).with(transport).connectingTo(options).using(vertx).build();
  }

  /**
   * One connection for health probes, apart from the request pool: a booking burst that fills the request pool
   * must not turn readiness DOWN and take the pod out of service. A small wait queue makes a hung database fail
   * the probe instead of queueing probes.
   */
  public static Pool probePool(Vertx vertx, AppConfig config) {
    PoolOptions pool = new PoolOptions().setName("roster-pg-probe-" + POOLS.incrementAndGet()).setMaxSize(1)
        .setMaxWaitQueueSize(4).setConnectionTimeout(config.pgConnectTimeoutMs())
        .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS).setIdleTimeout(60).setIdleTimeoutUnit(TimeUnit.SECONDS);
    NetClientOptions transport = new NetClientOptions().setConnectTimeout(config.pgConnectTimeoutMs());
    return PgBuilder.pool().with(pool).with(transport).connectingTo(connectOptions(config)).using(vertx).build();
  }

  /**
   * A pipelined client for single-statement reads (event pages, one event, member links): queries sent on a
   * Pool are not pipelined, these are, so a few connections carry many concurrent reads.
   */
  public static SqlClient readClient(Vertx vertx, AppConfig config) {
    return pipelinedClient(vertx, config, "roster-pg-reads-", 4);
  }

  /**
   * The node's one client for member-link lookups, shared by its HTTP verticles: the lookups are batched (one query
   * for up to hundreds of subjects), so two pipelined connections carry them.
   */
  public static SqlClient linksClient(Vertx vertx, AppConfig config) {
    return pipelinedClient(vertx, config, "roster-pg-links-", 2);
  }

  private static SqlClient pipelinedClient(Vertx vertx, AppConfig config, String namePrefix, int size) {
    PoolOptions pool = new PoolOptions().setName(namePrefix + POOLS.incrementAndGet())
        .setMaxSize(Math.max(1, Math.min(size, config.pgPoolSize())))
        .setMaxWaitQueueSize(config.pgMaxWaitQueue())
        .setConnectionTimeout(config.pgWaitTimeoutMs()).setConnectionTimeoutUnit(TimeUnit.MILLISECONDS);
    NetClientOptions transport = new NetClientOptions().setConnectTimeout(config.pgConnectTimeoutMs());
    return PgBuilder.client().with(pool).with(transport).connectingTo(connectOptions(config)).using(vertx).build();
  }

  /** The cheapest round trip: does the database answer on this client? */
  public static io.vertx.core.Future<Void> ping(SqlClient client) {
    return client.query("SELECT 1").execute().mapEmpty();
  }

  /** Parameters of ROSTER_PG_URL that the JDBC URL must not carry: the credentials go to Flyway apart. */
  private static final java.util.Set<String> NOT_FOR_JDBC = java.util.Set.of("user", "password", "host", "hostaddr",
      "port", "dbname");

  /**
   * The same database as a JDBC URL, for Flyway at start-up, with the URL's parameters ({@code sslmode},
   * {@code sslrootcert}, {@code application_name}, ...: pgjdbc reads them under libpq's names), so the migration
   * connection is as protected as the pool's. Never the password.
   */
  public static String jdbcUrl(PgConnectOptions o, String pgUrl) {
    String host = o.getHost().contains(":") && !o.getHost().startsWith("[") ? "[" + o.getHost() + "]" : o.getHost();
    StringBuilder url = new StringBuilder("jdbc:postgresql://").append(host).append(':').append(o.getPort())
        .append('/').append(java.net.URLEncoder.encode(o.getDatabase(), java.nio.charset.StandardCharsets.UTF_8));
    int query = pgUrl.indexOf('?');
    char separator = '?';
    for (String parameter : query < 0 ? new String[0] : pgUrl.substring(query + 1).split("&")) {
      String name = parameter.contains("=") ? parameter.substring(0, parameter.indexOf('=')) : parameter;
      if (!name.isEmpty() && !NOT_FOR_JDBC.contains(name)) {
        // pgjdbc names the schema search path currentSchema
        url.append(separator).append(name.equals("search_path") ? "currentSchema" + parameter.substring(name.length())
            : parameter);
        separator = '&';
      }
    }
    return url.toString();
  }
}
