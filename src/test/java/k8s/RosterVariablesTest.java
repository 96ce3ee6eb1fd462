package k8s;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;

import static org.assertj.core.api.Assertions.assertThat;

/** A misspelt ROSTER_* name in a manifest fails the build, not silently the pod. */
class RosterVariablesTest {

  @ParameterizedTest
  @ValueSource(strings = {Kustomize.BASE, Kustomize.DEV, Kustomize.PRODUCTION})
  void everyRosterVariableIsASetting(String folder) {
    Manifests manifests = Kustomize.render(folder);

    assertThat(manifests.ofKind("ConfigMap")).flatExtracting(RosterVariables::keysOf)
        .filteredOn(k -> k.startsWith(RosterVariables.PREFIX)).hasSizeGreaterThan(30);
    assertThat(RosterVariables.unknown(manifests)).isEmpty();
  }

  @Test
  void theExampleSecretsDocumentOnlySettings() throws IOException {
    Manifests examples = Manifests.parse("secret.example.yaml",
        Files.readString(Kustomize.K8S.resolve("base/secret.example.yaml")));

    assertThat(examples.ofKind("Secret")).isNotEmpty();
    assertThat(RosterVariables.unknown(examples)).isEmpty();
  }

  @Test
  void aTypoAnywhereIsNamedWithItsPlace() {
    Manifests manifests = Manifests.parse("test", """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: tuning
        data:
          ROSTER_HTTP_INSTANSES: "4"
          ROSTR_PG_POOL_SIZE: "8"
          OTEL_SERVICE_NAME: roster-api
          OTEL_EXPORTER_OTLP_ENDPONT: http://collector:4318
        ---
        apiVersion: v1
        kind: Secret
        metadata:
          name: providers
        stringData:
          ROSTER_SMTP_PASWORD: x
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: roster-api
        spec:
          selector:
            matchLabels: {app: roster}
          template:
            metadata:
              labels: {app: roster}
            spec:
              containers:
                - name: roster
                  image: roster-service:1
                  envFrom:
                    - configMapRef: {name: tuning}
                  env:
                    - {name: ROSTER_SCHEDULER_ENABLE, value: "false"}
                    - {name: JAVA_TOOL_OPTIONS, value: -XX:MaxRAMPercentage=75}
        """);

    assertThat(RosterVariables.unknown(manifests)).containsExactlyInAnyOrder(
        "Deployment/roster-api container roster env: ROSTER_SCHEDULER_ENABLE is not a setting of the service (conf/application.yaml lists them)",
        "Deployment/roster-api container roster envFrom ConfigMap/tuning: ROSTER_HTTP_INSTANSES is not a setting of the service (conf/application.yaml lists them)",
        "Deployment/roster-api container roster envFrom ConfigMap/tuning: ROSTR_PG_POOL_SIZE is not a setting of the service (conf/application.yaml lists them)",
        "Deployment/roster-api container roster envFrom ConfigMap/tuning: OTEL_EXPORTER_OTLP_ENDPONT is not an OpenTelemetry variable the service reads (README, Tracing)",
        "ConfigMap/tuning: ROSTER_HTTP_INSTANSES is not a setting of the service (conf/application.yaml lists them)",
        "ConfigMap/tuning: OTEL_EXPORTER_OTLP_ENDPONT is not an OpenTelemetry variable the service reads (README, Tracing)",
        "Secret/providers: ROSTER_SMTP_PASWORD is not a setting of the service (conf/application.yaml lists them)");
  }
}
