package support;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;

import java.util.concurrent.TimeUnit;

/** A provider stand-in's HTTP server: on 127.0.0.1, a free port, started before the test goes on. */
public final class LoopbackServer {

  private LoopbackServer() {
  }

  public static HttpServer start(Vertx vertx, Handler<HttpServerRequest> handler) {
    try {
      return vertx.createHttpServer().requestHandler(handler).listen(0, "127.0.0.1")
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("the stand-in did not start", e);
    }
  }
}
