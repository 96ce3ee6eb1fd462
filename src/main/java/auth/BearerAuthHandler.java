package auth;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import web.ApiError;

/** Every /v1 call: verifies the bearer token and puts the {@link Caller} on the request. */
public final class BearerAuthHandler implements Handler<RoutingContext> {

  private final TokenVerifier verifier;
  private final MemberLinks links;
  private final RolesClaim roles;

  public BearerAuthHandler(TokenVerifier verifier, MemberLinks links, RolesClaim roles) {
    this.verifier = verifier;
    this.links = links;
    this.roles = roles;
  }

  @Override
  public void handle(RoutingContext rc) {
    String header = rc.request().getHeader(HttpHeaders.AUTHORIZATION);
    if (header == null || header.length() < 8 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      rc.response().putHeader("WWW-Authenticate", "Bearer");
      rc.fail(ApiError.unauthenticated("A bearer token is required."));
      return;
    }
    String token = header.substring(7).trim();
    Caller known = verifier.knownCaller(token);
    if (known != null) {
      // a token seen before, of a linked member: nothing to check again, nothing to wait for
      rc.put(Caller.KEY, known);
      rc.next();
      return;
    }
    io.vertx.core.internal.ContextInternal own = (io.vertx.core.internal.ContextInternal) Vertx.currentContext();
    verifier.verify(token)
        .compose(claims -> {
          String subject = claims.getString("sub");
          if (subject == null || subject.isBlank()) {
            return io.vertx.core.Future.failedFuture(ApiError.unauthenticated("The token has no subject."));
          }
          return links.memberIdOf(subject).map(memberId -> {
            Caller caller = new Caller(claims.getString("iss", ""), subject, roles.of(claims), memberId);
            if (memberId != null) {
              // unlinked callers are not remembered: a link made later takes effect at once
              verifier.rememberCaller(token, claims, caller);
            }
            return caller;
          });
        })
        .onComplete(result -> onOwnLoop(own, () -> {
          if (result.succeeded()) {
            rc.put(Caller.KEY, result.result());
            rc.next();
            return;
          }
          Throwable error = result.cause();
          if (error instanceof ApiError api && api.status() == 401) {
            rc.response().putHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");
          }
          rc.fail(error);
        }));
  }

  /**
   * The rest of the request (routing, handlers, this verticle's pools and booking coalescer) runs on the request's
   * own event loop. Shared components answer there; should one not, the stray continuation is counted and sent back.
   */
  private static void onOwnLoop(io.vertx.core.internal.ContextInternal own, Runnable next) {
    if (own == null || own.nettyEventLoop().inEventLoop()) {
      next.run();
    } else {
      ops.CrossLoop.count(ops.CrossLoop.AUTHENTICATION);
      own.runOnContext(v -> next.run());
    }
  }
}
