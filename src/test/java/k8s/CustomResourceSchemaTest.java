package k8s;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Every object an overlay renders is a core kind or a custom resource valid against its schema in k8s/schemas. */
class CustomResourceSchemaTest {

  @ParameterizedTest
  @ValueSource(strings = {Kustomize.BASE, Kustomize.DEV, Kustomize.PRODUCTION})
  void customResourcesMatchTheirSchemas(String folder) {
    assertThat(CustomResourceSchemas.problems(Kustomize.render(folder))).isEmpty();
  }

  @Test
  void productionHasTheOperatorsResources() {
    assertThat(Kustomize.render(Kustomize.PRODUCTION).objects())
        .filteredOn(o -> !CoreObjects.isCore(o))
        .extracting(CoreObjects::typeOf)
        .containsExactlyInAnyOrder(
            "postgresql.cnpg.io/v1 Cluster", "barmancloud.cnpg.io/v1 ObjectStore", "postgresql.cnpg.io/v1 ScheduledBackup",
            "rabbitmq.com/v1beta1 RabbitmqCluster", "keda.sh/v1alpha1 ScaledObject", "keda.sh/v1alpha1 TriggerAuthentication",
            "monitoring.coreos.com/v1 PrometheusRule", "monitoring.coreos.com/v1 ServiceMonitor");
  }

  /** A misspelt field, deep in a spec, names the object and the field: an operator's CRD, and the alerts'. */
  static Stream<Arguments> misspeltFields() {
    return Stream.of(
        Arguments.of("""
            apiVersion: postgresql.cnpg.io/v1
            kind: Cluster
            metadata:
              name: db
            spec:
              instances: 3
              plugins:
                - name: barman-cloud.cloudnative-pg.io
                  isWalArchiver: true
            """, "postgresql.cnpg.io/v1 Cluster/db", "isWalArchiver"),
        Arguments.of("""
            apiVersion: monitoring.coreos.com/v1
            kind: PrometheusRule
            metadata:
              name: roster
            spec:
              groups:
                - name: roster.alerts
                  rules:
                    - alert: RosterDeadLetters
                      expr: roster_notifications_dlq_depth > 0
                      annotation:
                        summary: dead letters
            """, "monitoring.coreos.com/v1 PrometheusRule/roster", "annotation"));
  }

  @ParameterizedTest
  @MethodSource("misspeltFields")
  void aMisspeltFieldFailsValidation(String yaml, String object, String field) {
    assertThat(CustomResourceSchemas.problems(Manifests.parse("test", yaml))).singleElement().asString()
        .contains(object).contains(field);
  }

  @Test
  void aWrongTypeFailsValidation() {
    Manifests manifests = Manifests.parse("test", """
        apiVersion: rabbitmq.com/v1beta1
        kind: RabbitmqCluster
        metadata:
          name: mq
        spec:
          replicas: three
        """);

    assertThat(CustomResourceSchemas.problems(manifests)).singleElement().asString().contains("replicas");
  }

  @Test
  void aKindWithoutSchemaIsRefused() {
    Manifests manifests = Manifests.parse("test", """
        apiVersion: monitoring.example.com/v1
        kind: Dashboard
        metadata:
          name: roster
        spec: {}
        """);

    assertThat(CustomResourceSchemas.problems(manifests)).singleElement().asString()
        .contains("neither a core kind").contains("monitoring.example.com/dashboard_v1.json");
  }
}
