package launcher;

import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import verticles.MainVerticle;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * SIGTERM (Kubernetes, systemd, {@code kill}) and SIGINT (Ctrl-C) drain the node ({@link MainVerticle#shutdown()}),
 * close Vert.x, and exit with 0.
 *
 * <p>The signals are handled rather than left to a JVM shutdown hook: a JVM ended by SIGTERM through its hooks
 * exits with 143, which Kubernetes and systemd report as a failure, and the hooks of libraries would run beside
 * the drain and close things under it. {@code sun.misc.Signal} is the JDK's supported way to do this (JEP 260
 * keeps it accessible); {@code System.exit(0)} at the end then runs the remaining hooks normally, and an exit for
 * another reason ({@code System.exit(1)} when start-up fails) keeps its own code. A drain that outlives
 * delay + grace + 10 s is abandoned with exit code 1.
 */
final class GracefulExit {

  private static final Logger log = LoggerFactory.getLogger(GracefulExit.class);

  private final Vertx vertx;
  private final MainVerticle main;
  private final AtomicBoolean started = new AtomicBoolean();

  private GracefulExit(Vertx vertx, MainVerticle main) {
    this.vertx = vertx;
    this.main = main;
  }

  static void install(Vertx vertx, MainVerticle main) {
    GracefulExit exit = new GracefulExit(vertx, main);
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        Signal.handle(new Signal(name), exit::onSignal);
      } catch (IllegalArgumentException e) {
        log.warn("cannot handle SIG{} ({}): it stops the JVM without draining", name, e.getMessage());
      }
    }
    // any other way out (SIGHUP, System.exit): at least close Vert.x, as before
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (exit.started.compareAndSet(false, true)) {
        exit.closeVertx(10_000);
      }
    }, "roster-shutdown-hook"));
  }

  private void onSignal(Signal signal) {
    if (!started.compareAndSet(false, true)) {
      log.info("SIG{} received; already stopping", signal.getName());
      return;
    }
    log.info("SIG{} received: stopping", signal.getName());
    // not on the signal dispatcher's thread, which must stay free to deliver further signals
    new Thread(this::drainAndExit, "roster-shutdown").start();
  }

  private void drainAndExit() {
    long budgetMs = main.shutdownBudgetMs();
    long started = System.nanoTime();
    int code = 0;
    try {
      main.shutdown().toCompletionStage().toCompletableFuture().get(budgetMs, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      log.error("the drain did not finish within {} ms; exiting without it", budgetMs);
      code = 1;
    } catch (Exception e) {
      log.error("the drain failed: {}", e.getMessage());
      code = 1;
    }
    long leftMs = budgetMs - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    if (!closeVertx(Math.max(5_000, leftMs))) {
      code = 1;
    }
    log.info("stopped in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    System.exit(code);
  }

  private boolean closeVertx(long timeoutMs) {
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(timeoutMs, TimeUnit.MILLISECONDS);
      return true;
    } catch (Exception e) {
      log.error("Vert.x did not close cleanly: {}", e.getMessage());
      return false;
    }
  }
}
