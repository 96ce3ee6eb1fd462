package ratelimit;

import auth.Caller;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import web.ApiError;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Charges each /v1 request to its caller's bucket and writes the RateLimit-Policy and RateLimit fields on every
 * answer. Three steps around authentication: {@link #beforeAuth()} counts callers without a token by address;
 * {@link #afterAuth()} counts a verified caller under the policy of the operation;
 * {@link #afterRejectedToken()} charges a request whose token failed to its address.
 */
public final class RateLimiter {

  private static final String DECISION = "roster.rate.decision";
  private static final String ADDRESS = "roster.rate.address";
  private static final CharSequence POLICY_HEADER = HttpHeaders.createOptimized("RateLimit-Policy");
  private static final CharSequence STATE_HEADER = HttpHeaders.createOptimized("RateLimit");

  private final BucketStore store;
  private final RatePolicies policies;
  private final ClientAddress addresses;
  private final MeterRegistry registry;
  private final ConcurrentHashMap<String, Counter> refusals = new ConcurrentHashMap<>();
  /** Each policy's RateLimit-Policy field, which never changes: built once, not per answer. */
  private final Map<RatePolicy, CharSequence> policyFields = new IdentityHashMap<>();

  public RateLimiter(BucketStore store, RatePolicies policies, ClientAddress addresses, MeterRegistry registry) {
    this.store = store;
    this.policies = policies;
    this.addresses = addresses;
    this.registry = registry;
    for (RatePolicy policy : List.of(policies.booking(), policies.write(), policies.read(), policies.admin(),
        policies.anonymous())) {
      policyFields.put(policy, HttpHeaders.createOptimized(policy.policyField()));
    }
    // every policy's series from the start, at 0: a dashboard (or an alert) can tell "none" from "not measured"
    if (registry != null) {
      policyFields.keySet().forEach(policy -> refusals(policy.name()));
    }
  }

  public Handler<RoutingContext> beforeAuth() {
    return rc -> {
      String address = addresses.of(rc.request());
      rc.put(ADDRESS, address);
      rc.addHeadersEndHandler(v -> label(rc, address));
      if (rc.request().getHeader(HttpHeaders.AUTHORIZATION) == null) {
        // no token: this request will be a 401; count it now
        decide(rc, address, policies.anonymous());
      } else {
        rc.next();
      }
    };
  }

  /**
   * Failure handler placed before the problem mapper: a token that failed verification costs its address a
   * token, and once the address has none left the answer is 429 instead of 401. The token is checked first,
   * so members behind the same address as a flood (a gym's Wi-Fi) still get through with their valid tokens.
   */
  public Handler<RoutingContext> afterRejectedToken() {
    return rc -> {
      String address = rc.get(ADDRESS);
      if (address == null || rc.get(Caller.KEY) != null || rc.get(DECISION) != null
          || !(rc.failure() instanceof ApiError error) || error.status() != 401) {
        rc.next();
        return;
      }
      store.take(address, policies.anonymous()).onComplete(done -> {
        if (done.failed()) {
          rc.next();
          return;
        }
        rc.put(DECISION, done.result());
        if (done.result().allowed()) {
          rc.next();
        } else {
          refuse(rc, done.result()); // routes the new failure through the failure handlers again
        }
      });
    };
  }

  public Handler<RoutingContext> afterAuth() {
    return rc -> {
      Caller caller = rc.get(Caller.KEY);
      decide(rc, caller.scope(), policies.of(caller, rc.request().method(), rc.normalizedPath()));
    };
  }

  private void decide(RoutingContext rc, String key, RatePolicy policy) {
    Decision now = store.takeAtOnce(key, policy);
    if (now != null) {
      apply(rc, now); // this node's own buckets: no future to wait on
      return;
    }
    store.take(key, policy).onComplete(done -> {
      if (done.failed()) {
        // the cluster's map is unreachable: serve rather than refuse everyone (the database still protects itself)
        rc.next();
        return;
      }
      apply(rc, done.result());
    });
  }

  private void apply(RoutingContext rc, Decision d) {
    if (d.allowed()) {
      rc.put(DECISION, d);
      rc.next();
    } else {
      refuse(rc, d);
    }
  }

  private void refuse(RoutingContext rc, Decision d) {
    rc.put(DECISION, d);
    refusals(d.policy().name()).increment();
    rc.fail(ApiError.rateLimited("Too many requests under the '" + d.policy().name() + "' policy; retry in "
        + d.retryAfterSeconds() + " s.", d.retryAfterSeconds()));
  }

  private Counter refusals(String policy) {
    return refusals.computeIfAbsent(policy, name -> Counter.builder("roster.rate.limited")
        .description("Requests refused with 429 rate_limited, by policy").tag("policy", name).register(registry));
  }

  /** Last moment to add headers: every answer names the policy that applied and what is left of it. */
  private void label(RoutingContext rc, String address) {
    Decision d = rc.get(DECISION);
    if (d == null) {
      Caller caller = rc.get(Caller.KEY);
      d = caller == null ? store.peek(address, policies.anonymous())
          : store.peek(caller.scope(), policies.of(caller, rc.request().method(), rc.normalizedPath()));
    }
    CharSequence policyField = policyFields.get(d.policy());
    rc.response().headers()
        .set(POLICY_HEADER, policyField != null ? policyField : d.policy().policyField())
        .set(STATE_HEADER, d.policy().stateField(d.remaining(), d.resetSeconds()));
  }
}
