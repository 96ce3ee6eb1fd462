package cron;

import io.vertx.core.json.JsonObject;
import web.ApiError.FieldError;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What each task's payload may hold. A job's payload is checked when the job is created or changed, so a value
 * its task cannot run with is a 400 then, not a run that fails its attempts later. Tasks read their values
 * through {@link #read}, so a job stored before this check fails its run with the same reason.
 */
public final class TaskPayload {

  /** A number a task takes, its range (both ends included) and whether it must be whole. */
  public record Parameter(String name, double min, double max, boolean whole) {

    /** Why the value does not fit, or null when it does. */
    public String problem(Object value) {
      if (!(value instanceof Number n) || !Double.isFinite(n.doubleValue())) {
        return "must be a number";
      }
      double d = n.doubleValue();
      if (whole && d != Math.rint(d)) {
        return "must be a whole number";
      }
      if (d < min || d > max) {
        return "must be from " + show(min) + " to " + show(max);
      }
      return null;
    }

    private static String show(double d) {
      return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }
  }

  public static final Parameter WINDOW_HOURS = new Parameter("windowHours", 0.25, 168, false);
  public static final Parameter WEEKS_AHEAD = new Parameter("weeksAhead", 1, 52, true);
  public static final Parameter RETENTION_DAYS = new Parameter("retentionDays", 1, 3650, true);

  private static final Map<String, List<Parameter>> BY_TASK = Map.of(
      "send_event_reminders", List.of(WINDOW_HOURS),
      "generate_schedule", List.of(WEEKS_AHEAD),
      "purge_expired", List.of(RETENTION_DAYS));

  private TaskPayload() {
  }

  /**
   * The parameter's value in a payload, or the fallback when it is absent. A job stored before payloads were
   * checked may still hold a bad value: that fails the run with the reason.
   */
  public static Number read(JsonObject payload, Parameter parameter, Number fallback) {
    Object value = payload == null ? null : payload.getValue(parameter.name());
    if (value == null) {
      return fallback;
    }
    String problem = parameter.problem(value);
    if (problem != null) {
      throw new IllegalArgumentException(parameter.name() + " " + problem + ", not " + value);
    }
    return (Number) value;
  }

  /** What is wrong with a job's payload for its task, each named as {@code payload.<key>}; empty when nothing. */
  public static List<FieldError> errors(String task, JsonObject payload) {
    List<FieldError> errors = new ArrayList<>();
    if (payload == null) {
      return errors;
    }
    List<Parameter> takes = BY_TASK.getOrDefault(task, List.of());
    for (String key : payload.fieldNames()) {
      Parameter parameter = takes.stream().filter(p -> p.name().equals(key)).findFirst().orElse(null);
      String problem = parameter == null
          ? takes.isEmpty() ? task + " takes no parameters"
              : task + " takes only " + String.join(", ", takes.stream().map(Parameter::name).toList())
          : parameter.problem(payload.getValue(key));
      if (problem != null) {
        errors.add(new FieldError("payload." + key, problem));
      }
    }
    return errors;
  }
}
