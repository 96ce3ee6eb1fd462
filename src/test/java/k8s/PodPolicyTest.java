package k8s;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** Limits, restricted security, probes by role, cluster wiring and a shutdown that fits, in every overlay. */
class PodPolicyTest {

  @ParameterizedTest
  @ValueSource(strings = {Kustomize.BASE, Kustomize.DEV, Kustomize.PRODUCTION})
  void everyPodFollowsThePolicy(String folder) {
    Manifests manifests = Kustomize.render(folder);

    assertThat(manifests.workloads()).filteredOn(Manifests.Workload::runsRoster)
        .extracting(Manifests.Workload::role).containsExactlyInAnyOrder("api", "worker");
    assertThat(PodPolicy.problems(manifests)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {Kustomize.BASE, Kustomize.DEV})
  void theImageIsTheOneTheBuildProduces(String folder) throws IOException {
    assertThat(rosterImages(Kustomize.render(folder))).containsOnly("roster-service:" + projectVersion());
  }

  @Test
  void productionRunsTheSameTagFromItsRegistry() throws IOException {
    String tag = "/roster-service:" + projectVersion();
    assertThat(rosterImages(Kustomize.render(Kustomize.PRODUCTION))).allSatisfy(image -> assertThat(image).endsWith(tag));
  }

  private static List<String> rosterImages(Manifests manifests) {
    List<String> images = manifests.workloads().stream().flatMap(w -> w.rosterContainers().stream())
        .map(c -> c.path("image").asText()).toList();
    assertThat(images).as("images of Roster containers").hasSizeGreaterThanOrEqualTo(2);
    return images;
  }

  @Test
  void aCarelessPodIsToldEverythingItMisses() {
    Manifests manifests = Manifests.parse("test", """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: roster-api
        spec:
          selector:
            matchLabels: {app.kubernetes.io/component: api}
          template:
            metadata:
              labels: {app.kubernetes.io/component: api}
            spec:
              terminationGracePeriodSeconds: 20
              containers:
                - name: roster
                  image: registry.example.com/roster-service:latest
                  env:
                    - {name: ROSTER_HTTP_INSTANCES, value: "2"}
                    - {name: ROSTER_WORKER_INSTANCES, value: "1"}
                    - {name: ROSTER_SCHEDULER_ENABLED, value: "false"}
                    - {name: ROSTER_SHUTDOWN_DELAY_MS, value: "3000"}
                  readinessProbe:
                    httpGet: {path: /health/live, port: 8080}
                  livenessProbe:
                    httpGet: {path: /health/live, port: 9090}
                  lifecycle:
                    preStop:
                      exec: {command: [sh, -c, sleep 5]}
                  resources:
                    limits: {memory: 512Mi}
                  securityContext:
                    allowPrivilegeEscalation: true
                - name: sidecar
                  image: busybox:1.36
                  resources:
                    requests: {cpu: 10m, memory: 8Mi}
                    limits: {cpu: 10m, memory: 8Mi}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: roster-worker
        spec:
          selector:
            matchLabels: {app.kubernetes.io/component: worker}
          template:
            metadata:
              labels: {app.kubernetes.io/component: worker}
            spec:
              terminationGracePeriodSeconds: 60
              containers:
                - name: roster
                  image: roster-service:0.1.0
                  env:
                    - {name: ROSTER_HTTP_INSTANCES, value: "0"}
                    - {name: ROSTER_RELAY_INSTANCES, value: "0"}
                  startupProbe:
                    httpGet: {path: /health/live, port: http}
                  readinessProbe:
                    httpGet: {path: /health/ready, port: http}
                  livenessProbe:
                    httpGet: {path: /health/live, port: http}
                  ports:
                    - {name: http, containerPort: 8080}
                  lifecycle:
                    preStop:
                      sleep: {seconds: 5}
        """);

    assertThat(PodPolicy.problems(manifests)).contains(
        "Deployment/roster-api container roster: no cpu requests",
        "Deployment/roster-api container roster: no cpu limits",
        "Deployment/roster-api container roster: runAsNonRoot is not true",
        "Deployment/roster-api container roster: allowPrivilegeEscalation is not false",
        "Deployment/roster-api container roster: capabilities do not drop ALL",
        "Deployment/roster-api container roster: seccompProfile is not RuntimeDefault",
        "Deployment/roster-api container roster: the root filesystem is not read-only",
        "Deployment/roster-api container roster: does not run as uid 65532",
        "Deployment/roster-api container roster: no emptyDir at /tmp (Vert.x's file cache and the JVM write there)",
        "Deployment/roster-api container roster: livenessProbe does not reach the HTTP port 8080",
        "Deployment/roster-api container roster: preStop must be a sleep action (the image has no shell)",
        "Deployment/roster-api container roster: must join the cluster with kubernetes discovery",
        "Deployment/roster-api container sidecar: needs a readiness and a liveness probe",
        "Deployment/roster-worker container roster: a worker takes no traffic and must have no readiness probe",
        "Roster containers run different images: [registry.example.com/roster-service:latest, roster-service:0.1.0]",
        "image registry.example.com/roster-service:latest has no fixed tag");
    assertThat(PodPolicy.problems(manifests))
        .anySatisfy(p -> assertThat(p).startsWith("Deployment/roster-api container roster: startupProbe must GET /health/live"))
        .anySatisfy(p -> assertThat(p).startsWith("Deployment/roster-api container roster: readinessProbe must GET /health/ready"))
        .anySatisfy(p -> assertThat(p).startsWith("Deployment/roster-api container roster: an api pod must run HTTP verticles only"))
        .anySatisfy(p -> assertThat(p).startsWith("Deployment/roster-worker container roster: a worker pod must run workers, a relay and the scheduler"));
  }

  @Test
  void aGracePeriodShorterThanTheDrainIsRefused() {
    Manifests manifests = Manifests.parse("test", """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: roster-api
        spec:
          selector:
            matchLabels: {app.kubernetes.io/component: api}
          template:
            metadata:
              labels: {app.kubernetes.io/component: api}
            spec:
              terminationGracePeriodSeconds: 30
              containers:
                - name: roster
                  image: roster-service:1
                  env:
                    - {name: ROSTER_SHUTDOWN_DELAY_MS, value: "4000"}
                  lifecycle:
                    preStop:
                      sleep: {seconds: 5}
        """);

    // 5 s + (4 s + the default grace of conf/application.yaml, 20 s, + 10 s) + 2 s margin = 41 s > 30 s
    assertThat(PodPolicy.problems(manifests)).contains("Deployment/roster-api container roster: terminationGracePeriodSeconds 30"
        + " < preStop sleep 5 s + shutdown budget 34000 ms (delay 4000 ms + grace 20000 ms + 10 s) + 2 s margin");
  }

  static String projectVersion() throws IOException {
    String pom = Files.readString(Path.of("pom.xml"));
    Matcher m = Pattern.compile("<artifactId>roster-service</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
    assertThat(m.find()).as("the project's version in pom.xml").isTrue();
    return m.group(1);
  }
}
