package config;

import ch.qos.logback.classic.Level;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import logging.LogFormat;

/** Typed, read-only view of the merged configuration: the one place that knows key names. */
public final class AppConfig {

  /** Issuer of the tokens that start-dev prints; `start` never accepts it. */
  public static final String DEV_ISSUER = "urn:roster:development";

  private final JsonObject json;

  public AppConfig(JsonObject json) {
    this.json = json;
  }

  public JsonObject json() {
    return json;
  }

  public int httpPort() { return integer("http", "port", 8080); }
  public String httpHost() { return string("http", "host", "0.0.0.0"); }
  public int maxBodyBytes() { return integer("http", "maxBodyBytes", 65536); }
  /** Every API request is answered within this time: 503 when its work is not done by then. */
  public int httpRequestTimeoutMs() { return positive("http", "requestTimeoutMs", 15000, "ROSTER_HTTP_REQUEST_TIMEOUT_MS"); }
  /** A keep-alive connection with no traffic for this long is closed. */
  public int httpIdleTimeoutSeconds() { return positive("http", "idleTimeoutSeconds", 75, "ROSTER_HTTP_IDLE_TIMEOUT_SECONDS"); }
  /** Longest request line (method, URI, version): longer gets 414. */
  public int httpMaxUriLength() { return positive("http", "maxUriLength", 4096, "ROSTER_HTTP_MAX_URI_LENGTH"); }
  /** Largest header block: larger gets 431. */
  public int httpMaxHeaderBytes() { return positive("http", "maxHeaderBytes", 16384, "ROSTER_HTTP_MAX_HEADER_BYTES"); }

  public String pgUrl() { return string("pg", "url", ""); }
  public int pgPoolSize() { return integer("pg", "poolSize", 16); }
  public int pgConnectTimeoutMs() { return integer("pg", "connectTimeoutMs", 3000); }
  public int pgMaxWaitQueue() { return integer("pg", "maxWaitQueue", 2048); }
  public int pgWaitTimeoutMs() { return integer("pg", "waitTimeoutMs", 5000); }
  /** PostgreSQL's statement_timeout on every pool's connections. */
  public int pgStatementTimeoutMs() { return positive("pg", "statementTimeoutMs", 10000, "ROSTER_PG_STATEMENT_TIMEOUT_MS"); }
  /** PostgreSQL's idle_in_transaction_session_timeout on every pool's connections (the scheduler's is shorter). */
  public int pgIdleInTransactionTimeoutMs() {
    return positive("pg", "idleInTransactionTimeoutMs", 15000, "ROSTER_PG_IDLE_IN_TRANSACTION_TIMEOUT_MS");
  }

  public String oidcIssuer() { return string("oidc", "issuer", ""); }
  public String oidcJwksUrl() { return string("oidc", "jwksUrl", ""); }
  public String oidcAudience() { return string("oidc", "audience", ""); }
  /** RFC 9068: access tokens name their audience. `start` refuses to run without one unless this is false. */
  public boolean oidcRequireAudience() { return bool("oidc", "requireAudience", true); }
  /** Plain-http issuer or JWKS URLs off loopback (an in-cluster identity provider); logged loudly at start. */
  public boolean oidcAllowHttp() { return bool("oidc", "allowHttp", false); }
  /** Dotted path of the claim that lists the caller's roles. */
  public String oidcRolesClaim() { return string("oidc", "rolesClaim", "realm_access.roles"); }
  public int oidcLeewaySeconds() { return integer("oidc", "leewaySeconds", 30); }
  /** Memory the verified-token cache of one HTTP verticle may use (estimated). */
  public int oidcTokenCacheBytes() { return positive("oidc", "tokenCacheBytes", 32 << 20, "ROSTER_OIDC_TOKEN_CACHE_BYTES"); }
  public int jwksRefreshSeconds() { return integer("oidc", "jwksRefreshSeconds", 30); }
  /** The JWKS is fetched again at least this often, so a key the issuer withdrew stops being trusted. */
  public int jwksMaxAgeSeconds() {
    int seconds = integer("oidc", "jwksMaxAgeSeconds", 600);
    if (seconds < 1) {
      throw new ConfigException("ROSTER_OIDC_JWKS_MAX_AGE_SECONDS must be at least 1, got " + seconds);
    }
    return seconds;
  }

  /** Public keys given in-process by start-dev's token issuer; never set in production. */
  public JsonArray devJwks() {
    return section("oidc").getJsonArray("devJwks");
  }

  public boolean coalesceBookings() { return bool("bookings", "coalesce", true); }
  public int bookingBatchMax() { return integer("bookings", "batchMax", 64); }
  public int bookingBatchWindowMs() { return integer("bookings", "batchWindowMs", 0); }
  public int bookingBatchConcurrency() { return integer("bookings", "batchConcurrency", 4); }
  /** Booking requests that may wait for a batch, per HTTP verticle; more get 503 overloaded. */
  public int bookingQueueMax() { return positive("bookings", "queueMax", 10000, "ROSTER_BOOKING_QUEUE_MAX"); }
  /** How long a booking request may wait for a batch before 503 overloaded. */
  public int bookingQueueTimeoutMs() { return positive("bookings", "queueTimeoutMs", 10000, "ROSTER_BOOKING_QUEUE_TIMEOUT_MS"); }

  /** Rate limits (rate.*): token buckets per caller and class of operation; see conf/application.yaml. */
  public boolean rateEnabled() { return bool("rate", "enabled", true); }
  public int rateBookingLimit() { return positive("rate", "bookingLimit", 60, "ROSTER_RATE_BOOKING_LIMIT"); }
  public int rateBookingWindowSeconds() { return positive("rate", "bookingWindowSeconds", 600, "ROSTER_RATE_BOOKING_WINDOW_SECONDS"); }
  public int rateWriteLimit() { return positive("rate", "writeLimit", 120, "ROSTER_RATE_WRITE_LIMIT"); }
  public int rateWriteWindowSeconds() { return positive("rate", "writeWindowSeconds", 60, "ROSTER_RATE_WRITE_WINDOW_SECONDS"); }
  public int rateReadLimit() { return positive("rate", "readLimit", 600, "ROSTER_RATE_READ_LIMIT"); }
  public int rateReadWindowSeconds() { return positive("rate", "readWindowSeconds", 60, "ROSTER_RATE_READ_WINDOW_SECONDS"); }
  public int rateAdminLimit() { return positive("rate", "adminLimit", 3000, "ROSTER_RATE_ADMIN_LIMIT"); }
  public int rateAdminWindowSeconds() { return positive("rate", "adminWindowSeconds", 60, "ROSTER_RATE_ADMIN_WINDOW_SECONDS"); }
  public int rateAnonymousLimit() { return positive("rate", "anonymousLimit", 60, "ROSTER_RATE_ANONYMOUS_LIMIT"); }
  public int rateAnonymousWindowSeconds() { return positive("rate", "anonymousWindowSeconds", 60, "ROSTER_RATE_ANONYMOUS_WINDOW_SECONDS"); }
  /** Peers whose X-Forwarded-For is believed: addresses or CIDR ranges, comma-separated. */
  public String rateTrustedProxies() { return string("rate", "trustedProxies", ""); }
  public int rateSmsPerHour() { return positive("rate", "smsPerHour", 10, "ROSTER_RATE_SMS_PER_HOUR"); }
  public int ratePushPerHour() { return positive("rate", "pushPerHour", 30, "ROSTER_RATE_PUSH_PER_HOUR"); }
  public int ratePhoneChangesPerDay() { return positive("rate", "phoneChangesPerDay", 3, "ROSTER_RATE_PHONE_CHANGES_PER_DAY"); }

  public int idempotencyTtlHours() { return integer("idempotency", "ttlHours", 24); }

  public int httpInstances() { return instances("http", 2); }
  public int workerInstances() { return instances("notifications", 1); }
  public int relayInstances() { return instances("relay", 1); }

  public String amqpUrl() { return string("amqp", "url", ""); }
  public String amqpNamespace() { return string("amqp", "namespace", "roster"); }
  public boolean amqpQuorumQueues() { return bool("amqp", "quorumQueues", true); }
  public int amqpPrefetch() { return integer("amqp", "prefetch", 16); }
  /** CAs trusted for amqps:// (PEM certificates, or a PKCS12/JKS store); empty: the JVM's default CAs. */
  public String amqpTrustStore() { return string("amqp", "trustStore", ""); }
  public String amqpTrustStorePassword() { return string("amqp", "trustStorePassword", ""); }

  public int notifyMaxAttempts() { return integer("notifications", "maxAttempts", 5); }
  public int relayBatchSize() { return integer("notifications", "relayBatchSize", 200); }
  public int relayPollMs() { return integer("notifications", "relayPollMs", 5000); }
  public int sendTimeoutMs() { return integer("notifications", "sendTimeoutMs", 15000); }
  public String notifyTimezone() { return string("notifications", "timezone", "UTC"); }
  /** "log" routes every notification to the log channel (start-dev); empty for the real channels. */
  public String notifyChannelOverride() { return string("notifications", "channel", ""); }

  /** How overdue a delivery's attempt (or how far past its lease a run) must be before the leader's sweeper queues it again. */
  public int sweeperGraceMs() { return integer("sweeper", "graceMs", 60000); }
  /** How often the scheduler leader sweeps for overdue deliveries. */
  public int sweeperIntervalMs() { return integer("sweeper", "intervalMs", 15000); }

  /** Delays before retry 1, 2, ...; the last one repeats. */
  public java.util.List<Long> retryDelaysMs() {
    return delays("notifications", "retryDelaysMs", "2000,10000,60000,300000", "ROSTER_NOTIFY_RETRY_DELAYS_MS");
  }

  /** Hosts, addresses or CIDR ranges webhooks may reach even though they are not public (comma-separated). */
  public String webhooksAllowedHosts() { return string("webhooks", "allowedHosts", ""); }
  /** How long a webhook endpoint may answer nothing before the attempt fails. */
  public int webhooksTimeoutMs() { return integer("webhooks", "timeoutMs", 10000); }
  /** Deliveries in flight per endpoint on one worker, so one slow partner cannot take every slot. */
  public int webhooksConcurrencyPerEndpoint() { return integer("webhooks", "concurrencyPerEndpoint", 4); }
  /** An endpoint failing every attempt for this many days is disabled. */
  public int webhooksDisableAfterDays() { return integer("webhooks", "disableAfterDays", 5); }

  /** Delays before webhook retry 1, 2, ...; past the last one a delivery has failed. */
  public java.util.List<Long> webhookRetryDelaysMs() {
    return delays("webhooks", "retryDelaysMs", "5000,300000,1800000,7200000,18000000,36000000",
        "ROSTER_WEBHOOKS_RETRY_DELAYS_MS");
  }

  public java.util.List<Long> taskRetryDelaysMs() {
    return delays("scheduler", "retryDelaysMs", "5000,30000,120000", "ROSTER_SCHEDULER_RETRY_DELAYS_MS");
  }

  public int taskMaxAttempts() { return integer("scheduler", "taskMaxAttempts", 3); }
  public int taskTimeoutMs() { return integer("scheduler", "taskTimeoutMs", 300000); }
  public int leaseSeconds() { return integer("scheduler", "leaseSeconds", 8); }
  public int schedulerTickMs() { return integer("scheduler", "tickMs", 250); }
  public int retentionDays() { return integer("scheduler", "retentionDays", 14); }
  public boolean schedulerEnabled() { return bool("scheduler", "enabled", true); }
  public String concurrencyDefault() { return string("scheduler", "concurrency", "forbid"); }

  public boolean clusterEnabled() { return bool("cluster", "enabled", false); }
  public String clusterMembers() { return string("cluster", "members", ""); }
  public int clusterPort() { return integer("cluster", "port", 5701); }
  public String clusterHost() { return string("cluster", "host", "127.0.0.1"); }
  public String clusterName() { return string("cluster", "name", "roster"); }
  public String clusterDiscovery() { return string("cluster", "discovery", "tcp"); }
  public String clusterKubernetesService() { return string("cluster", "kubernetesService", ""); }
  public int clusterHeartbeatSeconds() { return integer("cluster", "heartbeatSeconds", 1); }
  public int clusterMaxNoHeartbeatSeconds() { return integer("cluster", "maxNoHeartbeatSeconds", 6); }
  public String nodeId() { return string("cluster", "nodeId", ""); }

  private java.util.List<Long> delays(String section, String key, String fallback, String variable) {
    String text = string(section, key, fallback);
    try {
      java.util.List<Long> delays = java.util.Arrays.stream(text.split(",")).map(String::trim).filter(t -> !t.isEmpty())
          .map(Long::parseLong).toList();
      if (delays.isEmpty() || delays.stream().anyMatch(d -> d <= 0)) {
        throw new NumberFormatException();
      }
      return delays;
    } catch (NumberFormatException e) {
      throw new ConfigException(variable + " must be positive milliseconds separated by commas, got '" + text + "'");
    }
  }

  public JsonObject smtp() { return section("smtp"); }
  public JsonObject sms() { return section("sms"); }
  public JsonObject push() { return section("push"); }
  public String pushUrl() { return string("push", "url", "").trim(); }
  /** Empty with a credentials file: its project_id is used. */
  public String pushProjectId() { return string("push", "projectId", "").trim(); }
  /** A fixed bearer token (tests, development); production uses {@link #pushCredentialsFile()}. */
  public String pushAccessToken() { return string("push", "accessToken", "").trim(); }
  /** Path of a Google service-account key file (JSON): FCM access tokens are minted from it. */
  public String pushCredentialsFile() { return string("push", "credentialsFile", "").trim(); }

  /** After SIGTERM: how long the node keeps serving with readiness 503, so load balancers stop sending. */
  public int shutdownDelayMs() { return integer("shutdown", "delayMs", 5000); }
  /** After that delay: how long in-flight requests, batches and deliveries get to finish. */
  public int shutdownGraceMs() { return integer("shutdown", "graceMs", 20000); }
  /** How long a stop may take before the process gives up waiting and exits 1: delay + grace + 10 s. */
  public long shutdownBudgetMs() { return shutdownDelayMs() + shutdownGraceMs() + 10_000L; }

  /** Text or JSON lines (logback starts with ROSTER_LOG_FORMAT itself; this is what the merged configuration says). */
  public LogFormat logFormat() {
    String value = string("log", "format", LogFormat.TEXT.value()).trim();
    return LogFormat.of(value).orElseThrow(() ->
        new ConfigException("ROSTER_LOG_FORMAT (log.format) must be json or text, got '" + value + "'"));
  }

  /** Level of every logger logback.xml does not pin. */
  public Level logLevel() {
    String value = string("log", "level", "INFO").trim();
    Level level = Level.toLevel(value, null);
    if (level == null || level == Level.ALL) {
      throw new ConfigException("ROSTER_LOG_LEVEL (log.level) must be TRACE, DEBUG, INFO, WARN, ERROR or OFF, got '"
          + value + "'");
    }
    return level;
  }

  /** Both modes refuse a log format or level they cannot write (logback alone would only fall back silently). */
  public void requireLogSettings() {
    logFormat();
    logLevel();
  }

  /** One access log line per HTTP request. */
  public boolean logAccess() { return bool("log", "access", true); }

  public int devTokenTtlHours() { return integer("dev", "tokenTtlHours", 12); }

  public AppConfig with(String section, String key, Object value) {
    JsonObject copy = json.copy();
    JsonObject s = copy.getJsonObject(section);
    if (s == null) {
      s = new JsonObject();
      copy.put(section, s);
    }
    s.put(key, value);
    return new AppConfig(copy);
  }

  /**
   * `start` refuses to run without what the roles on this node need, or with a role configured half-way; the
   * message names the settings in one line.
   */
  public void requireProductionSettings() {
    RoleSettings.requireProduction(this);
  }

  /** A clustered node (either mode) must be able to find its members. */
  public void requireClusterSettings() {
    RoleSettings.requireCluster(this);
  }

  /** The value of a key ("section.key") as text, empty when unset. */
  String setting(String path) {
    int dot = path.indexOf('.');
    return string(path.substring(0, dot), path.substring(dot + 1), "").trim();
  }

  /**
   * RFC 8725 / RFC 9068: tokens are checked against one named issuer (its `iss`, also when the JWKS URL is
   * given), for this service's audience, with keys fetched over https.
   */
  void requireStrictTokens() {
    if (oidcIssuer().isBlank()) {
      throw new ConfigException("missing setting: ROSTER_OIDC_ISSUER (oidc.issuer), the token issuer to trust "
          + "(every token's `iss` must equal it, also when ROSTER_OIDC_JWKS_URL is set)");
    }
    if (DEV_ISSUER.equals(oidcIssuer()) || devJwks() != null) {
      return; // refused below, with its own message
    }
    if (oidcAudience().isBlank() && oidcRequireAudience()) {
      throw new ConfigException("missing setting: ROSTER_OIDC_AUDIENCE (oidc.audience), the `aud` tokens must carry "
          + "(or ROSTER_OIDC_REQUIRE_AUDIENCE=false to accept tokens for any audience of the issuer)");
    }
    requireHttps("ROSTER_OIDC_ISSUER", oidcIssuer());
    if (!oidcJwksUrl().isBlank()) {
      requireHttps("ROSTER_OIDC_JWKS_URL", oidcJwksUrl());
    }
  }

  private void requireHttps(String variable, String url) {
    switch (ProviderUrl.check(url, oidcAllowHttp())) {
      case MALFORMED -> throw new ConfigException(variable + " must be an https:// URL");
      case PLAIN_HTTP -> throw new ConfigException(variable + " must be an https:// URL (http only on loopback, "
          + "or with ROSTER_OIDC_ALLOW_HTTP=true for an identity provider inside a trusted cluster network)");
      default -> { }
    }
  }

  private JsonObject section(String name) {
    JsonObject s = json.getJsonObject(name);
    return s == null ? new JsonObject() : s;
  }

  private int instances(String role, int fallback) {
    Object v = section("verticles").getJsonObject(role, new JsonObject()).getValue("instances");
    if (v == null) {
      return fallback;
    }
    try {
      return v instanceof Number n ? n.intValue() : Integer.parseInt(v.toString().trim());
    } catch (NumberFormatException e) {
      throw new ConfigException("verticles." + role + ".instances must be a whole number, got '" + v + "'");
    }
  }

  private boolean bool(String section, String key, boolean fallback) {
    Object v = section(section).getValue(key);
    return v == null ? fallback : v instanceof Boolean b ? b : Boolean.parseBoolean(v.toString().trim());
  }

  private String string(String section, String key, String fallback) {
    Object v = section(section).getValue(key);
    return v == null ? fallback : v.toString();
  }

  private int positive(String section, String key, int fallback, String variable) {
    int value = integer(section, key, fallback);
    if (value < 1) {
      throw new ConfigException(variable + " (" + section + "." + key + ") must be at least 1, got " + value);
    }
    return value;
  }

  private int integer(String section, String key, int fallback) {
    Object v = section(section).getValue(key);
    if (v == null) {
      return fallback;
    }
    if (v instanceof Number n) {
      return n.intValue();
    }
    try {
      return Integer.parseInt(v.toString().trim());
    } catch (NumberFormatException e) {
      throw new ConfigException(section + "." + key + " must be a whole number, got '" + v + "'");
    }
  }
}
