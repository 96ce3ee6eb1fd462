package k8s;

import com.fasterxml.jackson.databind.JsonNode;
import config.AppConfig;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.StreamSupport;

/**
 * What every pod of an overlay must satisfy: limits, a restricted security context, probes, and for Roster's
 * own containers their role, their cluster wiring and a shutdown that fits in the grace period.
 */
final class PodPolicy {

  static final long RUN_AS_USER = 65532;
  /** Seconds left between the end of the drain and Kubernetes' SIGKILL, for the JVM and pools to close. */
  static final int SHUTDOWN_MARGIN_SECONDS = 2;
  private static final int DEFAULT_TERMINATION_GRACE_SECONDS = 30;

  private PodPolicy() {
  }

  static List<String> problems(Manifests manifests) {
    List<String> problems = new ArrayList<>();
    for (Manifests.Workload workload : manifests.workloads()) {
      for (JsonNode container : workload.containers()) {
        String where = workload.name() + " container " + container.path("name").asText();
        resources(container, where, problems);
        restricted(workload, container, where, problems);
      }
      for (JsonNode container : workload.mainContainers()) {
        String where = workload.name() + " container " + container.path("name").asText();
        if (Manifests.Workload.runsRoster(container)) {
          roster(manifests, workload, container, where, problems);
        } else if (!container.has("readinessProbe") || !container.has("livenessProbe")) {
          problems.add(where + ": needs a readiness and a liveness probe");
        }
      }
    }
    problems.addAll(oneImage(manifests));
    return problems;
  }

  /** All Roster containers of an overlay run the very same image, with an explicit tag. */
  static List<String> oneImage(Manifests manifests) {
    Set<String> images = new LinkedHashSet<>();
    manifests.workloads().forEach(w -> w.rosterContainers().forEach(c -> images.add(c.path("image").asText())));
    List<String> problems = new ArrayList<>();
    if (images.size() > 1) {
      problems.add("Roster containers run different images: " + images);
    }
    images.stream().filter(i -> tagOf(i).isEmpty() || tagOf(i).equals("latest"))
        .forEach(i -> problems.add("image " + i + " has no fixed tag"));
    return problems;
  }

  static String tagOf(String image) {
    int colon = image.lastIndexOf(':');
    return colon > image.lastIndexOf('/') ? image.substring(colon + 1) : "";
  }

  private static void resources(JsonNode container, String where, List<String> problems) {
    for (String kind : List.of("requests", "limits")) {
      for (String resource : List.of("cpu", "memory")) {
        if (container.at("/resources/" + kind + "/" + resource).asText().isEmpty()) {
          problems.add(where + ": no " + resource + " " + kind);
        }
      }
    }
  }

  private static void restricted(Manifests.Workload workload, JsonNode container, String where, List<String> problems) {
    JsonNode pod = workload.podSpec().path("securityContext");
    JsonNode own = container.path("securityContext");
    if (!setting(own, pod, "runAsNonRoot").asBoolean(false)) {
      problems.add(where + ": runAsNonRoot is not true");
    }
    if (!own.path("allowPrivilegeEscalation").isBoolean() || own.path("allowPrivilegeEscalation").asBoolean()) {
      problems.add(where + ": allowPrivilegeEscalation is not false");
    }
    if (StreamSupport.stream(own.at("/capabilities/drop").spliterator(), false).noneMatch(c -> c.asText().equals("ALL"))) {
      problems.add(where + ": capabilities do not drop ALL");
    }
    if (!setting(own, pod, "seccompProfile").path("type").asText().equals("RuntimeDefault")) {
      problems.add(where + ": seccompProfile is not RuntimeDefault");
    }
    if (Manifests.Workload.runsRoster(container)) {
      if (!own.path("readOnlyRootFilesystem").asBoolean(false)) {
        problems.add(where + ": the root filesystem is not read-only");
      }
      if (setting(own, pod, "runAsUser").asLong(0) != RUN_AS_USER) {
        problems.add(where + ": does not run as uid " + RUN_AS_USER);
      }
      if (!workload.mountsEmptyDirAt(container, "/tmp")) {
        problems.add(where + ": no emptyDir at /tmp (Vert.x's file cache and the JVM write there)");
      }
    }
  }

  private static JsonNode setting(JsonNode container, JsonNode pod, String field) {
    return container.has(field) ? container.path(field) : pod.path(field);
  }

  private static void roster(Manifests manifests, Manifests.Workload workload, JsonNode container, String where,
                             List<String> problems) {
    Map<String, String> env = ContainerEnvironment.of(manifests, container, workload.namespace());
    AppConfig config = RosterConfig.of(env);
    switch (workload.role()) {
      case "api" -> {
        probe(container, "startupProbe", "/health/live", config, where, problems);
        probe(container, "readinessProbe", "/health/ready", config, where, problems);
        probe(container, "livenessProbe", "/health/live", config, where, problems);
        if (config.httpInstances() < 1 || config.workerInstances() != 0 || config.relayInstances() != 0
            || config.schedulerEnabled()) {
          problems.add(where + ": an api pod must run HTTP verticles only and never lead the scheduler (http "
              + config.httpInstances() + ", workers " + config.workerInstances() + ", relays " + config.relayInstances()
              + ", scheduler " + config.schedulerEnabled() + ")");
        }
      }
      case "worker" -> {
        probe(container, "startupProbe", "/health/live", config, where, problems);
        probe(container, "livenessProbe", "/health/live", config, where, problems);
        if (container.has("readinessProbe")) {
          problems.add(where + ": a worker takes no traffic and must have no readiness probe");
        }
        if (config.httpInstances() != 0 || config.workerInstances() < 1 || config.relayInstances() < 1
            || !config.schedulerEnabled()) {
          problems.add(where + ": a worker pod must run workers, a relay and the scheduler, and no HTTP verticles (http "
              + config.httpInstances() + ", workers " + config.workerInstances() + ", relays " + config.relayInstances()
              + ", scheduler " + config.schedulerEnabled() + ")");
        }
      }
      default -> problems.add(where + ": the pod's app.kubernetes.io/component label must name its role (api or worker), not '"
          + workload.role() + "'");
    }
    shutdown(workload, container, config, where, problems);
    cluster(manifests, workload, container, config, where, problems);
  }

  private static void probe(JsonNode container, String probe, String path, AppConfig config, String where,
                            List<String> problems) {
    JsonNode get = container.path(probe).path("httpGet");
    if (!path.equals(get.path("path").asText())) {
      problems.add(where + ": " + probe + " must GET " + path + " (has " + (container.has(probe) ? container.path(probe) : "none") + ")");
      return;
    }
    if (portNumber(container, get.path("port")) != config.httpPort()) {
      problems.add(where + ": " + probe + " does not reach the HTTP port " + config.httpPort());
    }
  }

  private static int portNumber(JsonNode container, JsonNode port) {
    if (port.isInt()) {
      return port.asInt();
    }
    for (JsonNode declared : container.path("ports")) {
      if (port.asText().equals(declared.path("name").asText())) {
        return declared.path("containerPort").asInt();
      }
    }
    return -1;
  }

  /** preStop sleep, then the service's own delay and drain, then a margin: all inside the grace period. */
  private static void shutdown(Manifests.Workload workload, JsonNode container, AppConfig config, String where,
                               List<String> problems) {
    JsonNode preStop = container.at("/lifecycle/preStop");
    if (!preStop.path("sleep").path("seconds").isInt() || preStop.has("exec") || preStop.has("httpGet")) {
      problems.add(where + ": preStop must be a sleep action (the image has no shell)");
      return;
    }
    int sleep = preStop.at("/sleep/seconds").asInt();
    int grace = workload.podSpec().path("terminationGracePeriodSeconds").asInt(DEFAULT_TERMINATION_GRACE_SECONDS);
    // the service gives up on a drain after its budget (delay + grace + 10 s) and exits: that must end in time
    int needed = sleep + ceilSeconds(config.shutdownBudgetMs()) + SHUTDOWN_MARGIN_SECONDS;
    if (needed > grace) {
      problems.add(where + ": terminationGracePeriodSeconds " + grace + " < preStop sleep " + sleep + " s + shutdown budget "
          + config.shutdownBudgetMs() + " ms (delay " + config.shutdownDelayMs() + " ms + grace " + config.shutdownGraceMs()
          + " ms + 10 s) + " + SHUTDOWN_MARGIN_SECONDS + " s margin");
    }
  }

  private static int ceilSeconds(long millis) {
    return (int) ((millis + 999) / 1000);
  }

  /** One Hazelcast cluster found through a headless Service that lists every Roster pod, ready or not. */
  private static void cluster(Manifests manifests, Manifests.Workload workload, JsonNode container, AppConfig config,
                              String where, List<String> problems) {
    if (!config.clusterEnabled() || !"kubernetes".equals(config.clusterDiscovery())) {
      problems.add(where + ": must join the cluster with kubernetes discovery");
      return;
    }
    String serviceName = config.clusterKubernetesService().split("\\.")[0];
    JsonNode service = manifests.find("Service", serviceName).orElse(null);
    if (service == null) {
      problems.add(where + ": ROSTER_CLUSTER_K8S_SERVICE names Service " + serviceName + ", which is not in the manifests");
    } else {
      if (!"None".equals(service.at("/spec/clusterIP").asText()) || !service.at("/spec/publishNotReadyAddresses").asBoolean(false)) {
        problems.add(where + ": Service " + serviceName + " must be headless and publish not-ready addresses");
      }
      if (StreamSupport.stream(service.at("/spec/ports").spliterator(), false).noneMatch(p -> p.path("port").asInt() == config.clusterPort())) {
        problems.add(where + ": Service " + serviceName + " has no port " + config.clusterPort());
      }
      JsonNode labels = workload.template().at("/metadata/labels");
      service.at("/spec/selector").fields().forEachRemaining(e -> {
        if (!e.getValue().asText().equals(labels.path(e.getKey()).asText())) {
          problems.add(where + ": Service " + serviceName + " does not select this pod (" + e.getKey() + ")");
        }
      });
    }
    fieldRef(container, "ROSTER_CLUSTER_HOST", "status.podIP", where, problems);
    fieldRef(container, "ROSTER_NODE_ID", "metadata.name", where, problems);
  }

  private static void fieldRef(JsonNode container, String variable, String field, String where, List<String> problems) {
    boolean set = StreamSupport.stream(container.path("env").spliterator(), false)
        .anyMatch(v -> variable.equals(v.path("name").asText()) && field.equals(v.at("/valueFrom/fieldRef/fieldPath").asText()));
    if (!set) {
      problems.add(where + ": " + variable + " must come from the pod's " + field);
    }
  }
}
