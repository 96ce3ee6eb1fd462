package k8s;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import support.PromQueries;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * k8s/monitoring: the PrometheusRule is roster.rules.yaml wrapped, every alert has its runbook section and its
 * promtool tests (firing and quiet), the ServiceMonitor reaches /metrics of both roles, the dashboard is a
 * ConfigMap Grafana's sidecar loads. Production includes it; dev, without the Prometheus operator, does not.
 */
class MonitoringTest {

  static final Path MONITORING = PromQueries.MONITORING;
  static final Path RULES = PromQueries.RULES;
  static final Path RUNBOOKS = Path.of("docs", "runbooks.md");

  private static final Set<String> REQUIRED_ALERTS = Set.of("RosterErrorBudgetBurnFast", "RosterErrorBudgetBurnSlow",
      "RosterBookingLatencyHigh", "RosterOutboxStale", "RosterDeadLetters", "RosterNoSchedulerLeader",
      "RosterSchedulerLeaderFlapping", "RosterBrokerDisconnected", "RosterDatabasePoolSaturated");

  @Test
  void thePrometheusRuleIsTheRulesFileWrapped() {
    JsonNode rendered = Kustomize.render(Kustomize.PRODUCTION).require("PrometheusRule", "roster");

    assertThat(rendered.path("spec"))
        .as("spec of the PrometheusRule in production; run k8s/monitoring/build-prometheus-rule.sh after changing "
            + RULES)
        .isEqualTo(PromQueries.rules());
  }

  @Test
  void everyAlertSaysWhatHappenedAndLinksItsRunbookSection() throws IOException {
    Set<String> sections = runbookAnchors();
    List<JsonNode> alerts = alerts();

    assertThat(alerts).extracting(a -> a.path("alert").asText()).containsAll(REQUIRED_ALERTS);
    for (JsonNode alert : alerts) {
      String name = alert.path("alert").asText();
      JsonNode annotations = alert.path("annotations");
      assertThat(annotations.path("summary").asText()).as(name + " summary").isNotBlank();
      assertThat(annotations.path("description").asText()).as(name + " description").isNotBlank();
      assertThat(alert.at("/labels/severity").asText()).as(name + " severity").isIn("critical", "warning");
      String url = annotations.path("runbook_url").asText();
      assertThat(url).as(name + " runbook_url").contains("/docs/runbooks.md#");
      assertThat(sections).as(name + ": a section of " + RUNBOOKS + " for " + url)
          .contains(url.substring(url.indexOf('#') + 1));
    }
  }

  @Test
  void promtoolTestsMakeEveryAlertFireAndStayQuiet() throws IOException {
    Set<String> fires = new HashSet<>();
    Set<String> quiet = new HashSet<>();
    List<Path> tests;
    try (Stream<Path> files = Files.list(MONITORING.resolve("tests"))) {
      tests = files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
    }
    assertThat(tests).isNotEmpty();
    for (Path file : tests) {
      JsonNode suite = PromQueries.yaml(file);
      assertThat(suite.path("rule_files").get(0).asText()).as(file + " tests the rules file").isEqualTo("../roster.rules.yaml");
      for (JsonNode test : suite.path("tests")) {
        for (JsonNode check : test.path("alert_rule_test")) {
          (check.path("exp_alerts").isEmpty() ? quiet : fires).add(check.path("alertname").asText());
        }
      }
    }
    List<String> names = alerts().stream().map(a -> a.path("alert").asText()).toList();

    assertThat(fires).as("alerts some promtool test expects to fire").containsAll(names);
    assertThat(quiet).as("alerts some promtool test expects to stay quiet").containsAll(names);
  }

  @Test
  void theServiceMonitorScrapesBothRolesOnANamedMetricsPort() {
    Manifests manifests = Kustomize.render(Kustomize.PRODUCTION);
    JsonNode monitor = manifests.require("ServiceMonitor", "roster");
    JsonNode endpoint = monitor.at("/spec/endpoints/0");

    assertThat(endpoint.path("path").asText()).isEqualTo("/metrics");
    List<String> scraped = manifests.ofKind("Service").stream().filter(s -> selects(monitor.at("/spec/selector"), s))
        .map(Manifests::nameOf).toList();
    assertThat(scraped).containsExactlyInAnyOrder("roster-api", "roster-worker");
    for (String role : List.of("api", "worker")) {
      JsonNode service = manifests.require("Service", "roster-" + role);
      JsonNode port = StreamSupport.stream(service.at("/spec/ports").spliterator(), false)
          .filter(p -> p.path("name").asText().equals(endpoint.path("port").asText())).findFirst().orElse(null);
      assertThat(port).as("Service roster-" + role + " has the port " + endpoint.path("port")).isNotNull();
      JsonNode pods = manifests.require("Deployment", "roster-" + role).at("/spec/template");
      assertThat(service.at("/spec/selector/app.kubernetes.io~1component").asText()).isEqualTo(role);
      assertThat(pods.at("/metadata/labels/app.kubernetes.io~1component").asText()).isEqualTo(role);
      assertThat(containerPort(pods, port.path("targetPort").asText())).as("the port that serves /metrics")
          .isEqualTo(8080);
    }
  }

  @Test
  void theDashboardIsAConfigMapGrafanasSidecarLoads() throws IOException {
    JsonNode map = Kustomize.render(Kustomize.PRODUCTION).require("ConfigMap", "roster-dashboard");

    assertThat(map.at("/metadata/labels/grafana_dashboard").asText()).isEqualTo("1");
    JsonNode dashboard = Manifests.JSON.readTree(map.at("/data/roster.json").asText());
    assertThat(dashboard.path("uid").asText()).isEqualTo("roster-service");
    List<String> queries = PromQueries.ofDashboard(dashboard);
    assertThat(queries).hasSizeGreaterThan(20);
    assertThat(dashboard.path("panels").findValues("datasource")).extracting(d -> d.path("uid").asText())
        .containsOnly("${datasource}");
  }

  @Test
  void queriesNameTheMetricsTheyRead() {
    assertThat(PromQueries.metricNames("sum by (route) (rate(vertx_http_server_requests_total{job=\"roster-api\","
        + "code=~\"5..\"}[$__rate_interval])) / ignoring(route) group_left sum(rate(http_total{a=\"{b}\"}[5m] offset 1h))"
        + " > 1e3 or on() vector(0) and histogram_quantile(0.99, sum by (le) (rate(x_seconds_bucket[5m]))) > bool 0.5"))
        .containsExactlyInAnyOrder("vertx_http_server_requests_total", "http_total", "x_seconds_bucket");
    assertThat(PromQueries.metricNames("roster:http_5xx_ratio:rate1h > (14.4 * 0.001)"))
        .containsExactly("roster:http_5xx_ratio:rate1h");
  }

  @Test
  void devHasNoPrometheusOperatorObjects() {
    assertThat(Kustomize.render(Kustomize.DEV).objects()).extracting(o -> o.path("apiVersion").asText())
        .noneMatch(v -> v.startsWith("monitoring.coreos.com/"));
  }

  static List<JsonNode> alerts() {
    List<JsonNode> alerts = new ArrayList<>();
    PromQueries.rules().path("groups").forEach(g -> g.path("rules").forEach(r -> {
      if (r.has("alert")) {
        alerts.add(r);
      }
    }));
    return alerts;
  }

  /** GitHub's anchors of the runbook's headings: lower case, punctuation dropped, spaces as hyphens. */
  private static Set<String> runbookAnchors() throws IOException {
    Set<String> anchors = new HashSet<>();
    for (String line : Files.readAllLines(RUNBOOKS)) {
      if (line.startsWith("#")) {
        anchors.add(line.replaceFirst("^#+\\s*", "").trim().toLowerCase(Locale.ROOT)
            .replaceAll("[^a-z0-9 _-]", "").replace(' ', '-'));
      }
    }
    return anchors;
  }

  private static boolean selects(JsonNode selector, JsonNode service) {
    JsonNode labels = service.at("/metadata/labels");
    boolean labelsMatch = Stream.of(selector.path("matchLabels")).flatMap(m -> {
      List<String> keys = new ArrayList<>();
      m.fieldNames().forEachRemaining(keys::add);
      return keys.stream().map(k -> m.path(k).asText().equals(labels.path(k).asText()));
    }).allMatch(Boolean::booleanValue);
    boolean expressionsMatch = StreamSupport.stream(selector.path("matchExpressions").spliterator(), false)
        .allMatch(e -> e.path("operator").asText().equals("In") && StreamSupport.stream(e.path("values").spliterator(), false)
            .anyMatch(v -> v.asText().equals(labels.path(e.path("key").asText()).asText())));
    return labelsMatch && expressionsMatch;
  }

  private static int containerPort(JsonNode podTemplate, String name) {
    for (JsonNode container : podTemplate.at("/spec/containers")) {
      for (JsonNode port : container.path("ports")) {
        if (port.path("name").asText().equals(name)) {
          return port.path("containerPort").asInt();
        }
      }
    }
    return -1;
  }
}
