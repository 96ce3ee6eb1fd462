package ops;

import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The routes that need no token: health, metrics, the contract and its Swagger UI. */
public final class OpsRoutes {

  private static final String SWAGGER_UI = "META-INF/resources/webjars/swagger-ui/";

  private OpsRoutes() {
  }

  /**
   * Probes and metrics, for every node (a worker-only node serves only these). {@code /health/live} touches no
   * dependency: the process answers, so it is alive. {@code /health/ready}: can this node serve now.
   * {@code /health}: every check with its detail (broker by role, cluster), for ops, never for a probe.
   */
  public static void mountProbes(Router router, Probes probes) {
    router.get("/health/live").handler(rc -> rc.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end("{\"status\":\"UP\"}"));
    router.get("/health/ready").handler(HealthCheckHandler.createWithHealthChecks(probes.readiness()));
    router.get("/health").handler(HealthCheckHandler.createWithHealthChecks(probes.detail()));
    router.get("/metrics").handler(PrometheusScrapingHandler.create());
  }

  /** The probes, plus the contract and its docs (API nodes). Reads what never changes at request time once. */
  public static void mount(Router router, Probes probes, String contractYaml) {
    mountProbes(router, probes);
    router.get("/openapi.yaml").handler(rc -> rc.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/yaml; charset=utf-8").end(contractYaml));

    String page = DOCS_PAGE;
    router.get("/docs").handler(rc -> rc.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8").end(page));
    router.get("/docs/*").handler(StaticHandler.create(SWAGGER_UI + swaggerUiVersion()).setCachingEnabled(true));
  }

  private static String swaggerUiVersion() {
    try (InputStream in = OpsRoutes.class.getClassLoader()
        .getResourceAsStream("META-INF/maven/org.webjars/swagger-ui/pom.properties")) {
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version");
    } catch (IOException | NullPointerException e) {
      throw new UncheckedIOException(new IOException("swagger-ui webjar not on the class path", e));
    }
  }

  private static final String DOCS_PAGE = """
      <!doctype html>
      <html lang="en">
      <head>
        <meta charset="utf-8">
        <title>Roster API</title>
        <link rel="stylesheet" href="/docs/swagger-ui.css">
      </head>
      <body>
        <div id="swagger-ui"></div>
        <script src="/docs/swagger-ui-bundle.js"></script>
        <script>
          window.ui = SwaggerUIBundle({ url: "/openapi.yaml", dom_id: "#swagger-ui" });
        </script>
      </body>
      </html>
      """;

}
