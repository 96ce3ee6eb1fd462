package launcher;

import support.NotificationTestBase;
import support.TestIssuer;

import java.util.HashMap;
import java.util.Map;

/** The ROSTER_* settings of a service process that a test starts with `start`: what every such node needs, once. */
final class NodeEnvironment {

  private final Map<String, String> env = new HashMap<>();

  private NodeEnvironment() {
  }

  /**
   * A node on the test's database; add the roles it runs. Its HTTP port (the API, or only probes and metrics on
   * a node without the API) is a free one unless the test sets it, so nodes never contend for 8080.
   */
  static NodeEnvironment database(String pgUrl) {
    return new NodeEnvironment().set("ROSTER_PG_URL", pgUrl).set("ROSTER_HTTP_PORT", 0);
  }

  /** A node that serves the API: the test's database and token issuer (with the audience `start` requires). */
  static NodeEnvironment api(String pgUrl, TestIssuer issuer) {
    return database(pgUrl).set("ROSTER_OIDC_ISSUER", issuer.issuer()).set("ROSTER_OIDC_JWKS_URL", issuer.jwksUrl())
        .set("ROSTER_OIDC_AUDIENCE", TestIssuer.AUDIENCE);
  }

  /** Relay and workers on the local broker, under the test's own namespace; notifications go to the log. */
  NodeEnvironment broker(String namespace) {
    return set("ROSTER_AMQP_URL", NotificationTestBase.AMQP_URL).set("ROSTER_AMQP_NAMESPACE", namespace)
        .set("ROSTER_NOTIFY_CHANNEL", "log");
  }

  /**
   * Workers that send SMS through the given provider (a test's stand-in); the mail server is required by `start`
   * but never used, since the members of these tests chose SMS only.
   */
  NodeEnvironment smsProvider(String url) {
    return set("ROSTER_NOTIFY_CHANNEL", "").set("ROSTER_SMS_URL", url).set("ROSTER_SMS_ACCOUNT_SID", "AC-test")
        .set("ROSTER_SMS_AUTH_TOKEN", "sms-test-token").set("ROSTER_SMS_FROM", "+15550001111")
        .set("ROSTER_SMTP_HOST", "127.0.0.1").set("ROSTER_SMTP_FROM", "roster@club.example");
  }

  /** Member {@code i} ("node" + i) of a Hazelcast cluster on 127.0.0.1 whose members use the given ports. */
  NodeEnvironment clusterMember(String cluster, int[] clusterPorts, int i) {
    StringBuilder members = new StringBuilder();
    for (int port : clusterPorts) {
      members.append(members.length() == 0 ? "" : ",").append("127.0.0.1:").append(port);
    }
    return set("ROSTER_CLUSTER_ENABLED", "true").set("ROSTER_CLUSTER_NAME", cluster)
        .set("ROSTER_CLUSTER_PORT", String.valueOf(clusterPorts[i])).set("ROSTER_CLUSTER_MEMBERS", members.toString())
        .set("ROSTER_NODE_ID", "node" + i)
        // several JVMs share two cores: small heaps, a collector without background threads
        .set("JAVA_TOOL_OPTIONS", "-Xmx256m -XX:+UseSerialGC");
  }

  NodeEnvironment set(String variable, Object value) {
    env.put(variable, String.valueOf(value));
    return this;
  }

  Map<String, String> map() {
    return new HashMap<>(env);
  }
}
