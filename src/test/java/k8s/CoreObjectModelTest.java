package k8s;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** Every core object parses into fabric8's typed model with no field the model does not know. */
class CoreObjectModelTest {

  @ParameterizedTest
  @ValueSource(strings = {Kustomize.BASE, Kustomize.DEV, Kustomize.PRODUCTION})
  void coreObjectsHaveOnlyKnownFields(String folder) {
    Manifests manifests = Kustomize.render(folder);

    assertThat(manifests.objects()).filteredOn(CoreObjects::isCore).hasSizeGreaterThan(10);
    assertThat(CoreObjects.problems(manifests)).isEmpty();
  }

  @Test
  void aMisspeltFieldDeepInAPodIsFound() {
    Manifests manifests = Manifests.parse("test", """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: app
        spec:
          selector:
            matchLabels: {app: x}
          template:
            metadata:
              labels: {app: x}
            spec:
              containers:
                - name: app
                  image: app:1
                  readinesProbe:
                    httpGet: {path: /health/ready, port: 8080}
        """);

    assertThat(CoreObjects.problems(manifests)).singleElement().asString()
        .contains("apps/v1 Deployment/app").contains("[readinesProbe]").contains("containers[0]");
  }

  @Test
  void aValueOfTheWrongShapeDoesNotParse() {
    Manifests manifests = Manifests.parse("test", """
        apiVersion: v1
        kind: Service
        metadata:
          name: api
        spec:
          ports: 8080
        """);

    assertThat(CoreObjects.problems(manifests)).singleElement().asString().contains("does not parse as Service");
  }
}
