package config;

import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What each role that runs on this node needs from the configuration, checked before anything starts: a role
 * configured half-way (a push URL without its credentials, a cluster without a way to find its members) would
 * otherwise start and fail later, quietly or far from the cause. Each refusal is one line naming the variables.
 */
final class RoleSettings {

  private static final Map<String, String> VARIABLES = ConfigLoader.ENVIRONMENT.entrySet().stream()
      .collect(Collectors.toUnmodifiableMap(Map.Entry::getValue, Map.Entry::getKey));

  private RoleSettings() {
  }

  /** `start`: every role on this node has what it needs. */
  static void requireProduction(AppConfig config) {
    require(!config.pgUrl().isBlank(), "missing setting: " + named("pg.url")
        + ", the PostgreSQL URL postgresql://user:password@host:port/database");
    if (config.httpInstances() > 0) {
      config.requireStrictTokens();
    }
    if (AppConfig.DEV_ISSUER.equals(config.oidcIssuer()) || config.devJwks() != null) {
      throw new ConfigException("refusing the development token issuer in production mode: set ROSTER_OIDC_ISSUER "
          + "to your identity provider");
    }
    if (config.relayInstances() > 0 || config.workerInstances() > 0) {
      require(!config.amqpUrl().isBlank(), "missing setting: " + named("amqp.url")
          + ", the RabbitMQ URL amqp://user:password@host:port/vhost");
      String disagreement = BrokerUrls.disagreement(BrokerUrls.split(config.amqpUrl()));
      require(disagreement == null, variable("amqp.url") + " lists RabbitMQ nodes that are not one broker: "
          + disagreement);
    }
    if (config.workerInstances() > 0) {
      requireWorkers(config);
    }
    if (config.schedulerEnabled()) {
      requireScheduler(config);
    }
  }

  /** A clustered node must be able to find the other members. */
  static void requireCluster(AppConfig config) {
    if (!config.clusterEnabled()) {
      return;
    }
    String discovery = config.clusterDiscovery().trim().toLowerCase();
    require(Set.of("tcp", "kubernetes").contains(discovery), variable("cluster.discovery") + " must be tcp or "
        + "kubernetes, got '" + config.clusterDiscovery() + "'");
    if (discovery.equals("tcp")) {
      require(!config.clusterMembers().isBlank(), "missing setting: " + named("cluster.members")
          + ", the member list host:port,... that a cluster with tcp discovery joins (or set "
          + variable("cluster.enabled") + "=false)");
    } else {
      require(!config.clusterKubernetesService().isBlank(), "missing setting: " + named("cluster.kubernetesService")
          + ", the headless Service whose DNS name lists the members for kubernetes discovery");
    }
  }

  /** Notification and task workers: their retry delays, time zone, and the channels they send through. */
  private static void requireWorkers(AppConfig config) {
    config.retryDelaysMs(); // each refuses a malformed list itself, naming its variable
    config.taskRetryDelaysMs();
    try {
      ZoneId.of(config.notifyTimezone());
    } catch (DateTimeException e) {
      throw new ConfigException(variable("notifications.timezone") + " must be a time zone such as Europe/Paris or "
          + "UTC, got '" + config.notifyTimezone() + "'");
    }
    String channel = config.setting("notifications.channel");
    require(channel.isBlank() || channel.equals("log"), variable("notifications.channel")
        + " must be empty (send through the providers) or log, got '" + channel + "'");
    if (channel.equals("log")) {
      return;
    }
    require(!config.setting("smtp.host").isBlank() && !config.setting("smtp.from").isBlank(), "missing setting: "
        + variable("smtp.host") + " and " + variable("smtp.from")
        + " (smtp.host, smtp.from), the mail server notification workers send through");
    allOrNone(config, "an SMTP login", "no login", "smtp.username", "smtp.password");
    String startTls = config.setting("smtp.startTls");
    require(Set.of("DISABLED", "OPTIONAL", "REQUIRED").contains(startTls.trim().toUpperCase()),
        variable("smtp.startTls") + " must be DISABLED, OPTIONAL or REQUIRED, got '" + startTls + "'");
    allOrNone(config, "the SMS channel", "SMS off", "sms.url", "sms.accountSid", "sms.authToken", "sms.from");
    requirePush(config);
    requireHttpUrl(config, "sms.url");
    requireHttpUrl(config, "push.url");
  }

  /**
   * Push authenticates with a service-account key file (its project_id names the project unless one is set), or
   * with a fixed access token and a project: one of the two, never both.
   */
  private static void requirePush(AppConfig config) {
    if (config.setting("push.credentialsFile").isBlank()) {
      allOrNone(config, "the push channel (with " + variable("push.credentialsFile") + " set instead, only "
          + variable("push.url") + " is needed)", "push off", "push.url", "push.projectId", "push.accessToken");
      return;
    }
    require(config.setting("push.accessToken").isBlank(), variable("push.credentialsFile") + " and "
        + variable("push.accessToken") + " are both set: push uses one of them (the key file in production)");
    allOrNone(config, "the push channel", "push off", "push.url", "push.credentialsFile");
  }

  /** The leader renews its lease every second (at most once a tick): a lease must outlast two renewals. */
  private static void requireScheduler(AppConfig config) {
    int tickMs = config.schedulerTickMs();
    require(tickMs > 0, variable("scheduler.tickMs") + " must be a positive number of milliseconds, got " + tickMs);
    long renewMs = Math.max(1000, tickMs);
    require(config.leaseSeconds() * 1000L >= 2 * renewMs, variable("scheduler.leaseSeconds") + " ("
        + config.leaseSeconds() + ") is too short: the leader renews its lease every " + renewMs + " ms and the lease "
        + "must outlast two renewals (at least " + (2 * renewMs + 999) / 1000 + ")");
    require(config.sweeperIntervalMs() > 0, variable("sweeper.intervalMs") + " must be a positive number of "
        + "milliseconds, got " + config.sweeperIntervalMs());
    require(config.sweeperGraceMs() > 0, variable("sweeper.graceMs") + " must be a positive number of "
        + "milliseconds, got " + config.sweeperGraceMs());
  }

  /** A role that needs several settings: all of them, or none (the role is off). */
  private static void allOrNone(AppConfig config, String role, String none, String... paths) {
    List<String> set = List.of(paths).stream().filter(p -> !config.setting(p).isBlank()).toList();
    List<String> missing = List.of(paths).stream().filter(p -> config.setting(p).isBlank()).toList();
    if (!set.isEmpty() && !missing.isEmpty()) {
      throw new ConfigException("incomplete setting: " + variables(set) + (set.size() == 1 ? " is" : " are")
          + " set but " + missing.stream().map(RoleSettings::named).collect(Collectors.joining(" and "))
          + (missing.size() == 1 ? " is" : " are") + " missing; " + role + " needs all of "
          + variables(List.of(paths)) + ", or none of them (" + none + ")");
    }
  }

  private static void requireHttpUrl(AppConfig config, String path) {
    String url = config.setting(path);
    require(url.isBlank() || url.startsWith("http://") || url.startsWith("https://"),
        variable(path) + " must be an http:// or https:// URL, got '" + url + "'");
  }

  private static void require(boolean condition, String refusal) {
    if (!condition) {
      throw new ConfigException(refusal);
    }
  }

  private static String variables(List<String> paths) {
    return paths.stream().map(RoleSettings::variable).collect(Collectors.joining(", "));
  }

  /** The variable and the key it sets, as refusals name a missing setting. */
  private static String named(String path) {
    return variable(path) + " (" + path + ")";
  }

  private static String variable(String path) {
    return VARIABLES.getOrDefault(path, path);
  }
}
