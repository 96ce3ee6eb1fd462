package notifications.channels;

import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * FCM's OAuth2 access tokens, minted from a service account with Google's auth library and cached. A token is
 * renewed ahead of its expiry: once less than 5 minutes (or half its lifetime, for short-lived tokens) is left,
 * so a send never carries one that expires on the way. The library's HTTP call blocks: it runs on a worker thread,
 * one at a time per node (callers that need a token meanwhile wait for that same call). Shared by the node's
 * worker verticles; each caller is answered on its own context.
 */
public final class ServiceAccountTokens implements PushAuth {

  /** Google's tokens last an hour; renewing 5 minutes before leaves room for a slow token endpoint. */
  static final Duration RENEW_AHEAD = Duration.ofMinutes(5);

  private final Vertx vertx;
  private final GoogleCredentials credentials;
  private final Clock clock;
  /** Guarded by this: the token in use and the mint in flight. */
  private Minted current;
  private Future<Minted> minting;

  private record Minted(String value, Instant renewAt) {
  }

  public ServiceAccountTokens(Vertx vertx, GoogleCredentials credentials) {
    this(vertx, credentials, Clock.systemUTC());
  }

  ServiceAccountTokens(Vertx vertx, GoogleCredentials credentials, Clock clock) {
    this.vertx = vertx;
    this.credentials = credentials;
    this.clock = clock;
  }

  @Override
  public Future<String> token() {
    Future<Minted> next;
    synchronized (this) {
      if (current != null && clock.instant().isBefore(current.renewAt())) {
        return Future.succeededFuture(current.value());
      }
      next = mint();
    }
    return answerOnCallerContext(next);
  }

  @Override
  public Future<String> renew(String rejected) {
    Future<Minted> next;
    synchronized (this) {
      if (current != null && !current.value().equals(rejected) && clock.instant().isBefore(current.renewAt())) {
        return Future.succeededFuture(current.value()); // another send already renewed it
      }
      current = null;
      next = mint();
    }
    return answerOnCallerContext(next);
  }

  /** The mint in flight, or a new one. Call holding the lock. */
  private Future<Minted> mint() {
    if (minting == null) {
      Future<Minted> call = vertx.executeBlocking(this::mintBlocking, false);
      minting = call;
      call.onComplete(done -> {
        synchronized (this) {
          minting = null;
          if (done.succeeded()) {
            current = done.result();
          }
        }
      });
    }
    return minting;
  }

  private Minted mintBlocking() {
    AccessToken token;
    try {
      token = credentials.refreshAccessToken();
    } catch (Exception e) {
      // the library's message may quote the token endpoint's answer: redacted, and the delivery is retried
      throw DeliveryException.retry("push credentials: no access token from the token endpoint: "
          + Redaction.apply(String.valueOf(e.getMessage())));
    }
    if (token == null || token.getTokenValue() == null || token.getTokenValue().isBlank()) {
      throw DeliveryException.retry("push credentials: the token endpoint answered no access token");
    }
    // the library dates the expiry on the wall clock; the lifetime is what is left of it now
    Duration lifetime = token.getExpirationTime() == null ? Duration.ofHours(1)
        : Duration.ofMillis(Math.max(0, token.getExpirationTime().getTime() - System.currentTimeMillis()));
    Duration ahead = lifetime.dividedBy(2).compareTo(RENEW_AHEAD) < 0 ? lifetime.dividedBy(2) : RENEW_AHEAD;
    return new Minted(token.getTokenValue(), clock.instant().plus(lifetime).minus(ahead));
  }

  /** A result completed on another verticle's context is handed back to the caller's own event loop. */
  private static Future<String> answerOnCallerContext(Future<Minted> shared) {
    Context caller = Vertx.currentContext();
    if (caller == null) {
      return shared.map(Minted::value);
    }
    Promise<String> answer = Promise.promise();
    shared.onComplete(done -> caller.runOnContext(v -> {
      if (done.succeeded()) {
        answer.complete(done.result().value());
      } else {
        answer.fail(done.cause());
      }
    }));
    return answer.future();
  }
}
