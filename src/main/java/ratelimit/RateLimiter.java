package ratelimit;

import auth.Caller;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import web.ApiError;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Charges each /v1 request to its caller's bucket and writes the RateLimit-Policy and RateLimit fields on every
 * answer. Two steps around authentication: {@link #beforeAuth()} counts callers without a token by address
 * (and refuses a known-empty address before any signature is checked); {@link #afterAuth()} counts a verified
 * caller under the policy of the operation. A request whose token fails is charged to its address.
 */
public final class RateLimiter {

  private static final String DECISION = "roster.rate.decision";
  private static final String ADDRESS = "roster.rate.address";

  private final BucketStore store;
  private final RatePolicies policies;
  private final ClientAddress addresses;
  private final MeterRegistry registry;
  private final ConcurrentHashMap<String, Counter> refusals = new ConcurrentHashMap<>();

  public RateLimiter(BucketStore store, RatePolicies policies, ClientAddress addresses, MeterRegistry registry) {
    this.store = store;
    this.policies = policies;
    this.addresses = addresses;
    this.registry = registry;
  }

  public Handler<RoutingContext> beforeAuth() {
    return rc -> {
      String address = addresses.of(rc.request());
      rc.put(ADDRESS, address);
      rc.addHeadersEndHandler(v -> onHeadersEnd(rc, address));
      if (rc.request().getHeader(HttpHeaders.AUTHORIZATION) == null) {
        // no token: this request will be a 401; count it now
        decide(rc, store.take(address, policies.anonymous()));
        return;
      }
      Decision known = store.peek(address, policies.anonymous());
      if (!known.allowed()) {
        refuse(rc, known);
        return;
      }
      rc.next();
    };
  }

  public Handler<RoutingContext> afterAuth() {
    return rc -> {
      Caller caller = rc.get(Caller.KEY);
      decide(rc, store.take(caller.scope(),
          policies.of(caller, rc.request().method(), rc.normalizedPath())));
    };
  }

  private void decide(RoutingContext rc, Future<Decision> decision) {
    decision.onComplete(done -> {
      if (done.failed()) {
        // the cluster's map is unreachable: serve rather than refuse everyone (the database still protects itself)
        rc.next();
        return;
      }
      Decision d = done.result();
      if (d.allowed()) {
        rc.put(DECISION, d);
        rc.next();
      } else {
        refuse(rc, d);
      }
    });
  }

  private void refuse(RoutingContext rc, Decision d) {
    rc.put(DECISION, d);
    refusals.computeIfAbsent(d.policy().name(), name -> Counter.builder("roster.rate.limited")
        .description("Requests refused with 429 rate_limited, by policy").tag("policy", name)
        .register(registry)).increment();
    rc.fail(ApiError.rateLimited("Too many requests under the '" + d.policy().name() + "' policy; retry in "
        + d.retryAfterSeconds() + " s.", d.retryAfterSeconds()));
  }

  /** Last moment to add headers: a 401 (bad or missing token) costs its address a token, and every answer is labelled. */
  private void onHeadersEnd(RoutingContext rc, String address) {
    Decision d = rc.get(DECISION);
    if (d == null && rc.response().getStatusCode() == 401 && rc.get(Caller.KEY) == null) {
      Future<Decision> charged = store.take(address, policies.anonymous());
      d = charged.isComplete() && charged.succeeded() ? charged.result() : store.peek(address, policies.anonymous());
    }
    if (d == null) {
      Caller caller = rc.get(Caller.KEY);
      d = caller == null ? store.peek(address, policies.anonymous())
          : store.peek(caller.scope(), policies.of(caller, rc.request().method(), rc.normalizedPath()));
    }
    rc.response().headers()
        .set("RateLimit-Policy", d.policy().policyField())
        .set("RateLimit", d.policy().stateField(d.remaining(), d.resetSeconds()));
  }
}
