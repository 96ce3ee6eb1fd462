package support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PromQL queries of k8s/monitoring (the dashboard's panels, the rules' expressions) and the metric names they
 * read. Names come from the query text: string literals, label matchers, ranges and grouping clauses removed, an
 * identifier followed by "(" is a function or aggregation, the rest are metric names.
 */
public final class PromQueries {

  public static final Path MONITORING = Path.of("k8s", "monitoring");
  public static final Path RULES = MONITORING.resolve("roster.rules.yaml");
  public static final Path DASHBOARD = MONITORING.resolve("dashboards").resolve("roster.json");

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern STRINGS = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`");
  private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
  private static final Pattern RANGES = Pattern.compile("\\[[^]]*]");
  private static final Pattern GROUPING =
      Pattern.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w.:$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\\s*\\()?");
  private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
      "bool", "and", "or", "unless", "offset", "inf", "nan", "atan2");

  private PromQueries() {
  }

  public static JsonNode dashboard() {
    try {
      return JSON.readTree(Files.readString(DASHBOARD));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The plain rule groups, as promtool reads them. */
  public static JsonNode rules() {
    return yaml(RULES);
  }

  /** A YAML file (rules, promtool tests) as a JSON tree. */
  public static JsonNode yaml(Path file) {
    try {
      return JSON.valueToTree(new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(file)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The expression of every target of every panel, rows' nested panels included. */
  public static List<String> ofDashboard(JsonNode dashboard) {
    List<String> queries = new ArrayList<>();
    dashboard.path("panels").findValues("targets")
        .forEach(targets -> targets.forEach(t -> queries.add(t.path("expr").asText())));
    return queries;
  }

  public static List<String> ofRules(JsonNode groups) {
    List<String> queries = new ArrayList<>();
    groups.path("groups").forEach(g -> g.path("rules").forEach(r -> queries.add(r.path("expr").asText())));
    return queries;
  }

  /** Names the rules record: the service does not expose them, Prometheus computes them. */
  public static Set<String> recorded(JsonNode groups) {
    Set<String> names = new TreeSet<>();
    groups.path("groups").forEach(g -> g.path("rules").forEach(r -> {
      if (r.has("record")) {
        names.add(r.path("record").asText());
      }
    }));
    return names;
  }

  public static Set<String> metricNames(String query) {
    String text = STRINGS.matcher(query).replaceAll("\"\"");
    text = MATCHERS.matcher(text).replaceAll(" ");
    text = RANGES.matcher(text).replaceAll(" ");
    text = GROUPING.matcher(text).replaceAll(" ");
    Set<String> names = new TreeSet<>();
    Matcher m = IDENTIFIER.matcher(text);
    while (m.find()) {
      if (m.group(2) == null && !KEYWORDS.contains(m.group(1).toLowerCase(java.util.Locale.ROOT))) {
        names.add(m.group(1));
      }
    }
    return names;
  }

  /** Every metric name in a Prometheus text exposition: sample names (so _bucket, _count, _sum) and TYPE names. */
  public static Set<String> exposed(String exposition) {
    Set<String> names = new TreeSet<>();
    for (String line : exposition.split("\n")) {
      if (line.startsWith("# TYPE ")) {
        names.add(line.split(" ")[2]);
      } else if (!line.isBlank() && !line.startsWith("#")) {
        names.add(line.split("[{ ]", 2)[0]);
      }
    }
    return names;
  }
}
