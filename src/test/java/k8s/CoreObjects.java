package k8s;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Core Kubernetes objects read into fabric8's typed model. The model keeps any field it does not know in
 * {@code additionalProperties}; the API server would reject or drop such a field, so here it is a failure.
 */
final class CoreObjects {

  /** The core kinds the manifests may use, by "apiVersion kind". Anything else must be a custom resource with a schema. */
  static final Map<String, Class<? extends HasMetadata>> MODELS = Map.of(
      "v1 Namespace", Namespace.class,
      "v1 ServiceAccount", ServiceAccount.class,
      "v1 Service", Service.class,
      "v1 ConfigMap", ConfigMap.class,
      "v1 Secret", Secret.class,
      "apps/v1 Deployment", Deployment.class,
      "apps/v1 StatefulSet", StatefulSet.class,
      "policy/v1 PodDisruptionBudget", PodDisruptionBudget.class,
      "autoscaling/v2 HorizontalPodAutoscaler", HorizontalPodAutoscaler.class,
      "networking.k8s.io/v1 NetworkPolicy", NetworkPolicy.class);

  private CoreObjects() {
  }

  static boolean isCore(JsonNode object) {
    return MODELS.containsKey(typeOf(object));
  }

  static String typeOf(JsonNode object) {
    return object.path("apiVersion").asText() + " " + object.path("kind").asText();
  }

  /** One line per core object that does not parse or carries a field its model does not know. */
  static List<String> problems(Manifests manifests) {
    List<String> problems = new ArrayList<>();
    for (JsonNode object : manifests.objects()) {
      Class<? extends HasMetadata> model = MODELS.get(typeOf(object));
      if (model == null) {
        continue;
      }
      try {
        walk(Manifests.JSON.treeToValue(object, model), "", Manifests.describe(object), problems);
      } catch (JsonProcessingException e) {
        problems.add(Manifests.describe(object) + ": does not parse as " + model.getSimpleName() + ": " + e.getOriginalMessage());
      }
    }
    return problems;
  }

  private static void walk(Object value, String path, String object, List<String> problems) {
    if (value == null) {
      return;
    }
    if (value instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        walk(list.get(i), path + "[" + i + "]", object, problems);
      }
      return;
    }
    if (value instanceof Map<?, ?> map) {
      map.forEach((k, v) -> walk(v, path + "." + k, object, problems));
      return;
    }
    if (!value.getClass().getName().startsWith("io.fabric8.")) {
      return;
    }
    Map<?, ?> unknown = additionalProperties(value);
    if (unknown != null && !unknown.isEmpty()) {
      problems.add(object + ": field(s) " + unknown.keySet() + " at " + (path.isEmpty() ? "the top" : path)
          + " unknown to " + value.getClass().getSimpleName());
    }
    for (Class<?> c = value.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field field : c.getDeclaredFields()) {
        if (Modifier.isStatic(field.getModifiers()) || field.getName().equals("additionalProperties")) {
          continue;
        }
        field.setAccessible(true);
        try {
          walk(field.get(value), path + "." + field.getName(), object, problems);
        } catch (IllegalAccessException e) {
          throw new AssertionError(e);
        }
      }
    }
  }

  private static Map<?, ?> additionalProperties(Object value) {
    try {
      Method getter = value.getClass().getMethod("getAdditionalProperties");
      return (Map<?, ?>) getter.invoke(value);
    } catch (NoSuchMethodException e) {
      return null;
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }
}
