package logging;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.RoutingContext;
import io.vertx.openapi.contract.Operation;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * What the access log names a request by: the path of the openapi.yaml operation it is for ({@code /v1/events/{id}},
 * also when it was refused before the API router ran, e.g. 401), else the path of the route that answered (the ops
 * routes), else its raw path cut to {@link #MAX_RAW} characters. Matched here rather than recorded by a handler on
 * each operation's route: a handler there would also see failures, and every route a failure passes through is
 * added to the {@code route} label of the HTTP metrics.
 */
public final class RouteTemplate {

  static final int MAX_RAW = 100;

  private record Template(HttpMethod method, String path, String[] segments) {
    /** Whether the request's path, split at '/' as {@code segments} is, matches: compared in place. */
    boolean matches(String request) {
      int start = 0;
      for (int i = 0; i < segments.length; i++) {
        int end = request.indexOf('/', start);
        boolean last = i == segments.length - 1;
        if (last != (end < 0)) {
          return false; // more or fewer segments than the template
        }
        end = end < 0 ? request.length() : end;
        String segment = segments[i];
        boolean parameter = segment.startsWith("{");
        if (parameter ? end == start
            : end - start != segment.length() || !request.regionMatches(start, segment, 0, segment.length())) {
          return false;
        }
        start = end + 1;
      }
      return true;
    }
  }

  private final List<Template> templates;

  private RouteTemplate(List<Template> templates) {
    this.templates = templates;
  }

  /** Names requests after these operations (literal paths such as {@code /v1/members/me} win over parameters). */
  public static RouteTemplate of(List<Operation> operations) {
    List<Template> templates = new ArrayList<>();
    for (Operation operation : operations) {
      String path = operation.getOpenAPIPath();
      templates.add(new Template(operation.getHttpMethod(), path, path.split("/", -1)));
    }
    templates.sort(Comparator.comparingLong(t -> t.path().chars().filter(c -> c == '{').count()));
    return new RouteTemplate(List.copyOf(templates));
  }

  /** No operations (a node that serves only the ops routes). */
  public static RouteTemplate none() {
    return new RouteTemplate(List.of());
  }

  String name(RoutingContext rc) {
    String path = rc.request().path();
    if (path != null && path.startsWith("/v1/")) {
      HttpMethod method = rc.request().method();
      for (Template template : templates) {
        if (template.method().equals(method) && template.matches(path)) {
          return template.path();
        }
      }
    }
    Route current = rc.currentRoute();
    if (current != null && current.getPath() != null && !current.isRegexPath()) {
      return current.getPath();
    }
    return raw(path);
  }

  private static String raw(String path) {
    if (path == null) {
      return "-";
    }
    StringBuilder out = new StringBuilder(Math.min(path.length(), MAX_RAW) + 3);
    for (int i = 0; i < path.length() && i < MAX_RAW; i++) {
      char c = path.charAt(i);
      out.append(c < 0x20 || c == 0x7f ? '?' : c);
    }
    return path.length() > MAX_RAW ? out.append("...").toString() : out.toString();
  }
}
