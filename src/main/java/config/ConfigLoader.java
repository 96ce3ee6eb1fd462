package config;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.Map;

/**
 * Reads the configuration in three layers: {@code conf/application.yaml} (from the working directory, else
 * from the jar), the file given with {@code --conf}, then the {@code ROSTER_*} environment variables.
 */
public final class ConfigLoader {

  public static final String DEFAULTS = "conf/application.yaml";

  /** Environment variable → key path. These names are a contract with ops: keep them exactly. */
  static final Map<String, String> ENVIRONMENT = Map.ofEntries(
      Map.entry("ROSTER_HTTP_PORT", "http.port"),
      Map.entry("ROSTER_HTTP_HOST", "http.host"),
      Map.entry("ROSTER_HTTP_MAX_BODY_BYTES", "http.maxBodyBytes"),
      Map.entry("ROSTER_HTTP_REQUEST_TIMEOUT_MS", "http.requestTimeoutMs"),
      Map.entry("ROSTER_HTTP_IDLE_TIMEOUT_SECONDS", "http.idleTimeoutSeconds"),
      Map.entry("ROSTER_HTTP_MAX_URI_LENGTH", "http.maxUriLength"),
      Map.entry("ROSTER_HTTP_MAX_HEADER_BYTES", "http.maxHeaderBytes"),
      Map.entry("ROSTER_PG_URL", "pg.url"),
      Map.entry("ROSTER_PG_POOL_SIZE", "pg.poolSize"),
      Map.entry("ROSTER_PG_CONNECT_TIMEOUT_MS", "pg.connectTimeoutMs"),
      Map.entry("ROSTER_PG_MAX_WAIT_QUEUE", "pg.maxWaitQueue"),
      Map.entry("ROSTER_PG_WAIT_TIMEOUT_MS", "pg.waitTimeoutMs"),
      Map.entry("ROSTER_PG_STATEMENT_TIMEOUT_MS", "pg.statementTimeoutMs"),
      Map.entry("ROSTER_PG_IDLE_IN_TRANSACTION_TIMEOUT_MS", "pg.idleInTransactionTimeoutMs"),
      Map.entry("ROSTER_AMQP_URL", "amqp.url"),
      Map.entry("ROSTER_SMTP_HOST", "smtp.host"),
      Map.entry("ROSTER_SMTP_PORT", "smtp.port"),
      Map.entry("ROSTER_SMTP_FROM", "smtp.from"),
      Map.entry("ROSTER_SMTP_USERNAME", "smtp.username"),
      Map.entry("ROSTER_SMTP_PASSWORD", "smtp.password"),
      Map.entry("ROSTER_SMTP_STARTTLS", "smtp.startTls"),
      Map.entry("ROSTER_SMTP_SSL", "smtp.ssl"),
      Map.entry("ROSTER_SMS_URL", "sms.url"),
      Map.entry("ROSTER_SMS_ACCOUNT_SID", "sms.accountSid"),
      Map.entry("ROSTER_SMS_AUTH_TOKEN", "sms.authToken"),
      Map.entry("ROSTER_SMS_FROM", "sms.from"),
      Map.entry("ROSTER_PUSH_URL", "push.url"),
      Map.entry("ROSTER_PUSH_PROJECT_ID", "push.projectId"),
      Map.entry("ROSTER_PUSH_ACCESS_TOKEN", "push.accessToken"),
      Map.entry("ROSTER_PUSH_CREDENTIALS_FILE", "push.credentialsFile"),
      Map.entry("ROSTER_AMQP_NAMESPACE", "amqp.namespace"),
      Map.entry("ROSTER_AMQP_QUORUM_QUEUES", "amqp.quorumQueues"),
      Map.entry("ROSTER_AMQP_PREFETCH", "amqp.prefetch"),
      Map.entry("ROSTER_AMQP_TRUST_STORE", "amqp.trustStore"),
      Map.entry("ROSTER_AMQP_TRUST_STORE_PASSWORD", "amqp.trustStorePassword"),
      Map.entry("ROSTER_NOTIFY_MAX_ATTEMPTS", "notifications.maxAttempts"),
      Map.entry("ROSTER_NOTIFY_RETRY_DELAYS_MS", "notifications.retryDelaysMs"),
      Map.entry("ROSTER_NOTIFY_RELAY_BATCH", "notifications.relayBatchSize"),
      Map.entry("ROSTER_NOTIFY_RELAY_POLL_MS", "notifications.relayPollMs"),
      Map.entry("ROSTER_NOTIFY_SEND_TIMEOUT_MS", "notifications.sendTimeoutMs"),
      Map.entry("ROSTER_NOTIFY_TIMEZONE", "notifications.timezone"),
      Map.entry("ROSTER_NOTIFY_CHANNEL", "notifications.channel"),
      Map.entry("ROSTER_WEBHOOKS_ALLOWED_HOSTS", "webhooks.allowedHosts"),
      Map.entry("ROSTER_WEBHOOKS_TIMEOUT_MS", "webhooks.timeoutMs"),
      Map.entry("ROSTER_WEBHOOKS_CONCURRENCY_PER_ENDPOINT", "webhooks.concurrencyPerEndpoint"),
      Map.entry("ROSTER_WEBHOOKS_DISABLE_AFTER_DAYS", "webhooks.disableAfterDays"),
      Map.entry("ROSTER_WEBHOOKS_RETRY_DELAYS_MS", "webhooks.retryDelaysMs"),
      Map.entry("ROSTER_SWEEPER_GRACE_MS", "sweeper.graceMs"),
      Map.entry("ROSTER_SWEEPER_INTERVAL_MS", "sweeper.intervalMs"),
      Map.entry("ROSTER_RELAY_INSTANCES", "verticles.relay.instances"),
      Map.entry("ROSTER_OIDC_ISSUER", "oidc.issuer"),
      Map.entry("ROSTER_OIDC_JWKS_URL", "oidc.jwksUrl"),
      Map.entry("ROSTER_OIDC_AUDIENCE", "oidc.audience"),
      Map.entry("ROSTER_OIDC_LEEWAY_SECONDS", "oidc.leewaySeconds"),
      Map.entry("ROSTER_OIDC_JWKS_REFRESH_SECONDS", "oidc.jwksRefreshSeconds"),
      Map.entry("ROSTER_OIDC_JWKS_MAX_AGE_SECONDS", "oidc.jwksMaxAgeSeconds"),
      Map.entry("ROSTER_OIDC_REQUIRE_AUDIENCE", "oidc.requireAudience"),
      Map.entry("ROSTER_OIDC_ALLOW_HTTP", "oidc.allowHttp"),
      Map.entry("ROSTER_OIDC_ROLES_CLAIM", "oidc.rolesClaim"),
      Map.entry("ROSTER_OIDC_TOKEN_CACHE_BYTES", "oidc.tokenCacheBytes"),
      Map.entry("ROSTER_IDEMPOTENCY_TTL_HOURS", "idempotency.ttlHours"),
      Map.entry("ROSTER_RATE_ENABLED", "rate.enabled"),
      Map.entry("ROSTER_RATE_BOOKING_LIMIT", "rate.bookingLimit"),
      Map.entry("ROSTER_RATE_BOOKING_WINDOW_SECONDS", "rate.bookingWindowSeconds"),
      Map.entry("ROSTER_RATE_WRITE_LIMIT", "rate.writeLimit"),
      Map.entry("ROSTER_RATE_WRITE_WINDOW_SECONDS", "rate.writeWindowSeconds"),
      Map.entry("ROSTER_RATE_READ_LIMIT", "rate.readLimit"),
      Map.entry("ROSTER_RATE_READ_WINDOW_SECONDS", "rate.readWindowSeconds"),
      Map.entry("ROSTER_RATE_ADMIN_LIMIT", "rate.adminLimit"),
      Map.entry("ROSTER_RATE_ADMIN_WINDOW_SECONDS", "rate.adminWindowSeconds"),
      Map.entry("ROSTER_RATE_ANONYMOUS_LIMIT", "rate.anonymousLimit"),
      Map.entry("ROSTER_RATE_ANONYMOUS_WINDOW_SECONDS", "rate.anonymousWindowSeconds"),
      Map.entry("ROSTER_RATE_TRUSTED_PROXIES", "rate.trustedProxies"),
      Map.entry("ROSTER_RATE_SMS_PER_HOUR", "rate.smsPerHour"),
      Map.entry("ROSTER_RATE_PUSH_PER_HOUR", "rate.pushPerHour"),
      Map.entry("ROSTER_RATE_PHONE_CHANGES_PER_DAY", "rate.phoneChangesPerDay"),
      Map.entry("ROSTER_BOOKING_COALESCE", "bookings.coalesce"),
      Map.entry("ROSTER_BOOKING_BATCH_MAX", "bookings.batchMax"),
      Map.entry("ROSTER_BOOKING_BATCH_WINDOW_MS", "bookings.batchWindowMs"),
      Map.entry("ROSTER_BOOKING_BATCH_CONCURRENCY", "bookings.batchConcurrency"),
      Map.entry("ROSTER_BOOKING_QUEUE_MAX", "bookings.queueMax"),
      Map.entry("ROSTER_BOOKING_QUEUE_TIMEOUT_MS", "bookings.queueTimeoutMs"),
      Map.entry("ROSTER_HTTP_INSTANCES", "verticles.http.instances"),
      Map.entry("ROSTER_WORKER_INSTANCES", "verticles.notifications.instances"),
      Map.entry("ROSTER_SCHEDULER_ENABLED", "scheduler.enabled"),
      Map.entry("ROSTER_SCHEDULER_TICK_MS", "scheduler.tickMs"),
      Map.entry("ROSTER_SCHEDULER_LEASE_SECONDS", "scheduler.leaseSeconds"),
      Map.entry("ROSTER_SCHEDULER_TASK_MAX_ATTEMPTS", "scheduler.taskMaxAttempts"),
      Map.entry("ROSTER_SCHEDULER_RETRY_DELAYS_MS", "scheduler.retryDelaysMs"),
      Map.entry("ROSTER_SCHEDULER_TASK_TIMEOUT_MS", "scheduler.taskTimeoutMs"),
      Map.entry("ROSTER_SCHEDULER_RETENTION_DAYS", "scheduler.retentionDays"),
      Map.entry("ROSTER_CLUSTER_NAME", "cluster.name"),
      Map.entry("ROSTER_CLUSTER_DISCOVERY", "cluster.discovery"),
      Map.entry("ROSTER_CLUSTER_K8S_SERVICE", "cluster.kubernetesService"),
      Map.entry("ROSTER_CLUSTER_HOST", "cluster.host"),
      Map.entry("ROSTER_CLUSTER_HEARTBEAT_SECONDS", "cluster.heartbeatSeconds"),
      Map.entry("ROSTER_CLUSTER_MAX_NO_HEARTBEAT_SECONDS", "cluster.maxNoHeartbeatSeconds"),
      Map.entry("ROSTER_NODE_ID", "cluster.nodeId"),
      Map.entry("ROSTER_CLUSTER_ENABLED", "cluster.enabled"),
      Map.entry("ROSTER_CLUSTER_MEMBERS", "cluster.members"),
      Map.entry("ROSTER_CLUSTER_PORT", "cluster.port"),
      Map.entry("ROSTER_SHUTDOWN_DELAY_MS", "shutdown.delayMs"),
      Map.entry("ROSTER_SHUTDOWN_GRACE_MS", "shutdown.graceMs"),
      Map.entry("ROSTER_LOG_FORMAT", "log.format"),
      Map.entry("ROSTER_LOG_LEVEL", "log.level"),
      Map.entry("ROSTER_LOG_ACCESS", "log.access"),
      Map.entry("ROSTER_DEV_TOKEN_TTL_HOURS", "dev.tokenTtlHours"));

  private ConfigLoader() {
  }

  /** The ROSTER_* variables read from the environment, each with the key it overrides (deployment checks use it). */
  public static Map<String, String> environmentVariables() {
    return ENVIRONMENT;
  }

  public static Future<JsonObject> load(Vertx vertx, String confFile, Map<String, String> environment) {
    ConfigRetrieverOptions options = new ConfigRetrieverOptions().setIncludeDefaultStores(false)
        .addStore(yaml(DEFAULTS, false));
    if (confFile != null) {
      options.addStore(yaml(confFile, false));
    }
    ConfigRetriever retriever = ConfigRetriever.create(vertx, options);
    return retriever.getConfig()
        .eventually(retriever::close)
        .map(json -> applyEnvironment(json, environment));
  }

  private static ConfigStoreOptions yaml(String path, boolean optional) {
    return new ConfigStoreOptions().setType("file").setFormat("yaml").setOptional(optional)
        .setConfig(new JsonObject().put("path", path));
  }

  /** Overrides keys from the environment, converting each value to the type of the key's default. */
  static JsonObject applyEnvironment(JsonObject config, Map<String, String> environment) {
    JsonObject result = config.copy();
    ENVIRONMENT.forEach((variable, path) -> {
      String value = environment.get(variable);
      if (value == null) {
        return;
      }
      String[] parts = path.split("\\.");
      JsonObject parent = result;
      for (int i = 0; i < parts.length - 1; i++) {
        JsonObject child = parent.getJsonObject(parts[i]);
        if (child == null) {
          child = new JsonObject();
          parent.put(parts[i], child);
        }
        parent = child;
      }
      String key = parts[parts.length - 1];
      parent.put(key, convert(variable, value.trim(), parent.getValue(key)));
    });
    return result;
  }

  private static Object convert(String variable, String value, Object defaultValue) {
    if (defaultValue instanceof Number) {
      try {
        return Integer.parseInt(value);
      } catch (NumberFormatException e) {
        throw new ConfigException(variable + " must be a whole number, got '" + value + "'");
      }
    }
    if (defaultValue instanceof Boolean) {
      if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
        throw new ConfigException(variable + " must be true or false, got '" + value + "'");
      }
      return Boolean.parseBoolean(value);
    }
    return value;
  }
}
