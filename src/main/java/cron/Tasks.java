package cron;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The tasks jobs may name. */
public final class Tasks {

  /** The task names jobs may use (the API refuses others with 400 unknown_task). */
  public static final List<String> NAMES = List.of("send_event_reminders", "generate_schedule", "purge_expired");

  private final Map<String, Task> byName = new LinkedHashMap<>();

  public Tasks(List<Task> tasks) {
    tasks.forEach(t -> byName.put(t.name(), t));
  }

  public Task get(String name) {
    return byName.get(name);
  }

  public Set<String> names() {
    return byName.keySet();
  }
}
