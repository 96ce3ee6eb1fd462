package auth;

import io.vertx.core.Handler;
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
    verifier.verify(header.substring(7).trim())
        .compose(claims -> {
          String subject = claims.getString("sub");
          if (subject == null || subject.isBlank()) {
            return io.vertx.core.Future.failedFuture(ApiError.unauthenticated("The token has no subject."));
          }
          return links.memberIdOf(subject).map(memberId ->
              new Caller(claims.getString("iss", ""), subject, roles.of(claims), memberId));
        })
        .onSuccess(caller -> {
          rc.put(Caller.KEY, caller);
          rc.next();
        })
        .onFailure(error -> {
          if (error instanceof ApiError api && api.status() == 401) {
            rc.response().putHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");
          }
          rc.fail(error);
        });
  }
}
