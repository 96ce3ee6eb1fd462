package auth;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import handlers.ProblemHandler;

/**
 * An HTTP verticle reduced to its authentication: its own verifier and bearer handler over the node's shared
 * components, and one route that tells who the caller is and whether the request went on on this verticle's loop.
 */
final class AuthOnlyVerticle extends VerticleBase {

  private final AuthFixture shared;
  TokenVerifier verifier;
  int port;

  AuthOnlyVerticle(AuthFixture shared) {
    this.shared = shared;
  }

  @Override
  public Future<?> start() {
    verifier = shared.verifier();
    Context own = context;
    Router router = Router.router(vertx);
    router.route().handler(new BearerAuthHandler(verifier, shared.links, new RolesClaim("realm_access.roles")));
    router.get("/whoami").handler(rc -> {
      Caller caller = rc.get(Caller.KEY);
      rc.json(new JsonObject().put("subject", caller.subject()).put("memberId", caller.memberId())
          .put("ownLoop", ((ContextInternal) Vertx.currentContext()).unwrap() == own
              && ((ContextInternal) own).nettyEventLoop().inEventLoop()));
    });
    router.route().failureHandler(new ProblemHandler());
    return vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").map(server -> {
      port = server.actualPort();
      return server;
    });
  }

  String baseUrl() {
    return "http://127.0.0.1:" + port;
  }
}
