package ops;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A node's polite exit, in order: readiness turns 503 at once; the node keeps serving for a delay (load balancers
 * and Service endpoints take that long to stop sending); then each stage's deployments are undeployed together
 * (their verticles drain in {@code stop()}), one stage after the other. A deployment that fails to stop is
 * logged and the sequence goes on.
 */
public final class ShutdownSequence {

  private static final Logger log = LoggerFactory.getLogger(ShutdownSequence.class);


  private final Vertx vertx;
  private final NodeState state;
  private final long delayMs;
  /** Each stage: what (as the log names it) → deployment id, stopped together. */
  private final List<Map<String, String>> stages = new ArrayList<>();

  public ShutdownSequence(Vertx vertx, NodeState state, long delayMs) {
    this.vertx = vertx;
    this.state = state;
    this.delayMs = delayMs;
  }

  /** A stage: these deployments (what → id; absent roles are skipped) stop together, after the stages before. */
  public ShutdownSequence then(Map<String, String> deployments) {
    Map<String, String> present = new LinkedHashMap<>();
    deployments.forEach((what, id) -> {
      if (id != null) {
        present.put(what, id);
      }
    });
    if (!present.isEmpty()) {
      stages.add(present);
    }
    return this;
  }

  public Future<Void> run() {
    long started = System.nanoTime();
    state.stop(); // if the caller has not already
    log.info("stopping: readiness is 503 now; serving {} ms more, then draining", delayMs);
    Future<Void> chain = delay();
    for (Map<String, String> stage : stages) {
      chain = chain.compose(v -> Future.join(stage.entrySet().stream()
          .map(deployment -> stop(deployment.getKey(), deployment.getValue())).toList()).mapEmpty());
    }
    return chain.onComplete(done -> log.info("drained in {} ms", millisSince(started)))
        // last: the spans of the drain itself are exported too
        .eventually(() -> tracing.Tracing.of(vertx).shutdown(vertx));
  }

  private Future<Void> delay() {
    if (delayMs <= 0) {
      return Future.succeededFuture();
    }
    Promise<Void> elapsed = Promise.promise();
    vertx.setTimer(delayMs, t -> elapsed.complete());
    return elapsed.future();
  }

  private Future<Void> stop(String what, String deployment) {
    long started = System.nanoTime();
    return vertx.undeploy(deployment)
        .onSuccess(v -> log.info("stopped the {} in {} ms", what, millisSince(started)))
        .recover(error -> {
          log.warn("stopping the {} failed after {} ms: {}", what, millisSince(started), error.getMessage());
          return Future.succeededFuture();
        });
  }

  private static long millisSince(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }
}
