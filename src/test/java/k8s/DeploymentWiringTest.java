package k8s;

import com.fasterxml.jackson.databind.JsonNode;
import config.AppConfig;
import notifications.Topology;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/** The pieces of an overlay fit together: what pods read exists, autoscalers and budgets target the right pods. */
class DeploymentWiringTest {

  @ParameterizedTest
  @ValueSource(strings = {Kustomize.DEV, Kustomize.PRODUCTION})
  void everyRoleGetsWhatStartRequires(String folder) {
    Manifests manifests = Kustomize.render(folder);
    for (Manifests.Workload workload : rosterWorkloads(manifests)) {
      AppConfig config = RosterConfig.of(ContainerEnvironment.of(manifests, workload.rosterContainers().get(0), workload.namespace()));

      assertThatCode(config::requireProductionSettings).as(workload.name()).doesNotThrowAnyException();
      // the cluster's log shipper reads one JSON object per line
      assertThat(config.logFormat()).as(workload.name()).isEqualTo(logging.LogFormat.JSON);
    }
  }

  @Test
  void devHasEverySecretAndConfigMapItsPodsRead() {
    Manifests dev = Kustomize.render(Kustomize.DEV);
    List<String> missing = new ArrayList<>();
    for (Manifests.Workload workload : dev.workloads()) {
      for (JsonNode container : workload.containers()) {
        ContainerEnvironment.secretsReadBy(container).stream()
            .filter(name -> dev.find("Secret", name).isEmpty()).forEach(name -> missing.add(workload.name() + " Secret/" + name));
        container.findValues("configMapRef").forEach(ref -> {
          if (dev.find("ConfigMap", ref.path("name").asText()).isEmpty()) {
            missing.add(workload.name() + " ConfigMap/" + ref.path("name").asText());
          }
        });
      }
      workload.podSpec().path("volumes").forEach(v -> {
        if (v.has("configMap") && dev.find("ConfigMap", v.at("/configMap/name").asText()).isEmpty()) {
          missing.add(workload.name() + " volume ConfigMap/" + v.at("/configMap/name").asText());
        }
      });
    }

    assertThat(missing).as("referenced but not in the dev overlay (pods would never start)").isEmpty();
  }

  @Test
  void secretExampleDocumentsEverySecretKeyTheBaseReads() throws IOException {
    Manifests examples = Manifests.parse("secret.example.yaml", Files.readString(Kustomize.K8S.resolve("base/secret.example.yaml")));
    Manifests base = Kustomize.render(Kustomize.BASE);
    List<String> undocumented = new ArrayList<>();
    for (Manifests.Workload workload : base.workloads()) {
      for (JsonNode container : workload.containers()) {
        container.findValues("secretKeyRef").forEach(ref -> {
          String name = ref.path("name").asText();
          String key = ref.path("key").asText();
          if (examples.find("Secret", name).map(s -> !ContainerEnvironment.secretValues(s).containsKey(key)).orElse(true)) {
            undocumented.add(name + "/" + key);
          }
        });
        ContainerEnvironment.secretsReadBy(container).stream().filter(name -> examples.find("Secret", name).isEmpty())
            .forEach(undocumented::add);
      }
    }

    assertThat(undocumented).as("Secrets the base reads that k8s/base/secret.example.yaml does not describe").isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {Kustomize.BASE, Kustomize.DEV, Kustomize.PRODUCTION})
  void theApiScalesOnCpuAndItsServiceSendsToApiPodsOnly(String folder) {
    Manifests manifests = Kustomize.render(folder);
    JsonNode hpa = manifests.require("HorizontalPodAutoscaler", "roster-api");
    JsonNode api = manifests.require("Deployment", "roster-api");
    JsonNode service = manifests.require("Service", "roster-api");

    assertThat(hpa.at("/spec/scaleTargetRef/kind").asText() + "/" + hpa.at("/spec/scaleTargetRef/name").asText())
        .isEqualTo("Deployment/roster-api");
    assertThat(hpa.at("/spec/metrics/0/resource/name").asText()).isEqualTo("cpu");
    assertThat(hpa.at("/spec/minReplicas").asInt()).isPositive().isLessThanOrEqualTo(hpa.at("/spec/maxReplicas").asInt());
    assertThat(api.at("/spec/replicas").isMissingNode()).as("replicas belong to the autoscaler").isTrue();
    assertThat(selects(service.at("/spec/selector"), api)).isTrue();
    assertThat(selects(service.at("/spec/selector"), manifests.require("Deployment", "roster-worker"))).isFalse();
    assertThat(service.at("/spec/ports/0/targetPort").asText()).isEqualTo("http");
  }

  @ParameterizedTest
  @ValueSource(strings = {Kustomize.BASE, Kustomize.PRODUCTION})
  void workersScaleOnTheQueuesTheyConsume(String folder) {
    Manifests manifests = Kustomize.render(folder);
    Manifests.Workload worker = rosterWorkloads(manifests).stream().filter(w -> w.role().equals("worker")).findFirst().orElseThrow();
    JsonNode workerContainer = worker.rosterContainers().get(0);
    AppConfig config = RosterConfig.of(ContainerEnvironment.of(manifests, workerContainer, worker.namespace()));
    Topology topology = new Topology(config.amqpNamespace(), config.amqpQuorumQueues(), List.of(1L), List.of(1L));
    JsonNode scaled = manifests.require("ScaledObject", "roster-worker");

    assertThat(scaled.at("/spec/scaleTargetRef/name").asText()).isEqualTo("roster-worker");
    assertThat(scaled.at("/spec/minReplicaCount").asInt()).as("the relay and the scheduler run on workers").isGreaterThanOrEqualTo(2);
    assertThat(scaled.at("/spec/triggers").findValuesAsText("queueName")).containsExactlyInAnyOrderElementsOf(
        Stream.concat(Topology.CHANNELS.stream().map(topology::queue),
            Stream.of(topology.taskQueue(), topology.webhookQueue())).toList());
    JsonNode amqpUrl = StreamSupport.stream(workerContainer.path("env").spliterator(), false)
        .filter(v -> v.path("name").asText().equals("ROSTER_AMQP_URL")).findFirst().orElseThrow();
    for (JsonNode trigger : scaled.at("/spec/triggers")) {
      JsonNode auth = manifests.require("TriggerAuthentication", trigger.at("/authenticationRef/name").asText());
      assertThat(auth.at("/spec/secretTargetRef/0/parameter").asText()).isEqualTo("host");
      assertThat(auth.at("/spec/secretTargetRef/0/name").asText()).isEqualTo(amqpUrl.at("/valueFrom/secretKeyRef/name").asText());
      assertThat(auth.at("/spec/secretTargetRef/0/key").asText()).isEqualTo(amqpUrl.at("/valueFrom/secretKeyRef/key").asText());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {Kustomize.BASE, Kustomize.DEV, Kustomize.PRODUCTION})
  void eachRoleHasADisruptionBudget(String folder) {
    Manifests manifests = Kustomize.render(folder);
    for (String role : List.of("api", "worker")) {
      JsonNode budget = manifests.require("PodDisruptionBudget", "roster-" + role);
      assertThat(selects(budget.at("/spec/selector/matchLabels"), manifests.require("Deployment", "roster-" + role))).as(role).isTrue();
      assertThat(budget.at("/spec/maxUnavailable").asInt()).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {Kustomize.BASE, Kustomize.DEV, Kustomize.PRODUCTION})
  void networkPoliciesFenceEveryRosterPod(String folder) {
    Manifests manifests = Kustomize.render(folder);
    for (Manifests.Workload workload : rosterWorkloads(manifests)) {
      List<JsonNode> policies = manifests.ofKind("NetworkPolicy").stream()
          .filter(p -> selects(p.at("/spec/podSelector/matchLabels"), workload.template())).map(p -> (JsonNode) p).toList();
      List<String> types = policies.stream().flatMap(p -> StreamSupport.stream(p.at("/spec/policyTypes").spliterator(), false))
          .map(JsonNode::asText).toList();
      List<JsonNode> hazelcastIngress = rules(policies, "ingress").stream().filter(r -> allowsPort(r, 5701)).toList();

      assertThat(types).as(workload.name()).contains("Ingress", "Egress");
      assertThat(hazelcastIngress).as(workload.name() + ": Hazelcast reachable").isNotEmpty();
      assertThat(hazelcastIngress).as(workload.name() + ": Hazelcast from Roster pods only").allSatisfy(rule ->
          assertThat(rule.path("from")).isNotEmpty().allSatisfy(peer -> {
            assertThat(peer.has("namespaceSelector") || peer.has("ipBlock")).isFalse();
            assertThat(peer.at("/podSelector/matchLabels/app.kubernetes.io~1name").asText()).isEqualTo("roster");
          }));
      for (int port : workload.role().equals("api") ? new int[] {53, 5432, 5701, 443} : new int[] {53, 5432, 5701, 5672, 443}) {
        assertThat(rules(policies, "egress")).as(workload.name() + " may reach port " + port).anyMatch(r -> allowsPort(r, port));
      }
      if (workload.role().equals("api")) {
        assertThat(rules(policies, "ingress")).as("clients reach the API").anyMatch(r -> allowsPort(r, 8080));
      }
    }
  }

  private static List<JsonNode> rules(List<JsonNode> policies, String direction) {
    List<JsonNode> rules = new ArrayList<>();
    policies.forEach(p -> p.at("/spec/" + direction).forEach(rules::add));
    return rules;
  }

  private static boolean allowsPort(JsonNode rule, int port) {
    return !rule.has("ports") || StreamSupport.stream(rule.path("ports").spliterator(), false).anyMatch(p -> p.path("port").asInt() == port);
  }

  @Test
  void productionUsesTheOperatorsDatabaseAndBroker() {
    Manifests production = Kustomize.render(Kustomize.PRODUCTION);
    JsonNode cluster = production.require("Cluster", "roster-db");
    JsonNode plugin = cluster.at("/spec/plugins/0");

    for (Manifests.Workload workload : rosterWorkloads(production)) {
      JsonNode pgUrl = StreamSupport.stream(workload.rosterContainers().get(0).path("env").spliterator(), false)
          .filter(v -> v.path("name").asText().equals("ROSTER_PG_URL")).findFirst().orElseThrow();
      assertThat(pgUrl.at("/valueFrom/secretKeyRef/name").asText()).as(workload.name()).isEqualTo("roster-db-app");
      assertThat(pgUrl.at("/valueFrom/secretKeyRef/key").asText()).isEqualTo("uri");
      assertThat(RosterConfig.of(ContainerEnvironment.of(production, workload.rosterContainers().get(0), workload.namespace()))
          .amqpQuorumQueues()).isTrue();
    }
    assertThat(cluster.at("/spec/instances").asInt()).isEqualTo(3);
    assertThat(plugin.path("name").asText()).isEqualTo("barman-cloud.cloudnative-pg.io");
    assertThat(plugin.path("isWALArchiver").asBoolean()).isTrue();
    production.require("ObjectStore", plugin.at("/parameters/barmanObjectName").asText());
    assertThat(production.ofKind("ScheduledBackup")).singleElement().satisfies(backup -> {
      assertThat(backup.at("/spec/cluster/name").asText()).isEqualTo("roster-db");
      assertThat(backup.at("/spec/method").asText()).isEqualTo("plugin");
      assertThat(backup.at("/spec/pluginConfiguration/name").asText()).isEqualTo("barman-cloud.cloudnative-pg.io");
    });
    assertThat(production.ofKind("RabbitmqCluster")).singleElement()
        .satisfies(mq -> assertThat(mq.at("/spec/replicas").asInt()).isEqualTo(3));
  }

  private static List<Manifests.Workload> rosterWorkloads(Manifests manifests) {
    List<Manifests.Workload> workloads = manifests.workloads().stream().filter(Manifests.Workload::runsRoster).toList();
    assertThat(workloads).hasSize(2);
    return workloads;
  }

  private static boolean selects(JsonNode selector, JsonNode deploymentOrTemplate) {
    JsonNode labels = deploymentOrTemplate.has("spec") && deploymentOrTemplate.path("spec").has("template")
        ? deploymentOrTemplate.at("/spec/template/metadata/labels") : deploymentOrTemplate.at("/metadata/labels");
    List<String> keys = new ArrayList<>();
    selector.fieldNames().forEachRemaining(keys::add);
    return !keys.isEmpty() && keys.stream().allMatch(k -> selector.path(k).asText().equals(labels.path(k).asText()));
  }
}
