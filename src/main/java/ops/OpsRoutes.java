package ops;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.sqlclient.Pool;
import notifications.BrokerHealth;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The routes that need no token: health, metrics, the contract and its Swagger UI. */
public final class OpsRoutes {

  private static final String SWAGGER_UI = "META-INF/resources/webjars/swagger-ui/";
  private static final long CHECK_TIMEOUT_MS = 2000;

  private OpsRoutes() {
  }

  /** Reads what never changes at request time (webjar version, contract, docs page) once, here. */
  public static void mount(Vertx vertx, Router router, Pool pool, BrokerHealth broker, String contractYaml) {
    HealthChecks ready = HealthChecks.create(vertx)
        .register("database", CHECK_TIMEOUT_MS, (Promise<Status> promise) -> {
          // answer DOWN ourselves before the framework's timeout turns the check into a 500
          long timer = vertx.setTimer(CHECK_TIMEOUT_MS - 500, t -> promise.tryComplete(Status.KO()));
          pool.query("SELECT 1").execute().onComplete(result -> {
            vertx.cancelTimer(timer);
            promise.tryComplete(result.succeeded() ? Status.OK() : Status.KO());
          });
        });
    // A node without relay or workers has no broker connection to check.
    ready.register("broker", CHECK_TIMEOUT_MS, promise -> promise.complete(!broker.checked() || broker.up()
        ? Status.OK() : Status.KO()));
    // Liveness touches no dependency: the process answers, so it is alive.
    router.get("/health/live").handler(rc -> rc.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end("{\"status\":\"UP\"}"));
    router.get("/health/ready").handler(HealthCheckHandler.createWithHealthChecks(ready));
    router.get("/metrics").handler(PrometheusScrapingHandler.create());

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
