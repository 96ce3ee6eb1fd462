package launcher;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * What a Kubernetes Service does for the test: a TCP load balancer on a local port that hands each new connection
 * to the next backend, round robin, among those whose {@code /health/ready} answered 200 at the last check (every
 * 100 ms). Established connections stay where they are, as with kube-proxy. A backend that refuses the connection
 * is skipped (nothing was sent yet); with no backend ready, the connection is closed.
 */
final class HealthCheckingProxy implements AutoCloseable {

  private static final long CHECK_EVERY_MS = 100;

  private final Vertx vertx = Vertx.vertx();
  private final List<Integer> backends;
  private final AtomicIntegerArray ready;
  private final AtomicInteger next = new AtomicInteger();
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger resets = new AtomicInteger();
  private final NetClient client;
  private final HttpClient checks;
  private final NetServer server;

  HealthCheckingProxy(List<Integer> backendPorts) {
    this.backends = List.copyOf(backendPorts);
    this.ready = new AtomicIntegerArray(backends.size());
    this.client = vertx.createNetClient(new NetClientOptions().setConnectTimeout(2000));
    this.checks = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false).setConnectTimeout(500));
    vertx.setPeriodic(CHECK_EVERY_MS, t -> checkAll());
    server = vertx.createNetServer(new NetServerOptions().setHost("127.0.0.1").setPort(0));
    server.connectHandler(this::accept);
    await(server.listen());
  }

  int port() {
    return server.actualPort();
  }

  int connectionsSeen() {
    return connections.get();
  }

  /** Piped connections that ended with an error (a reset) rather than a close. */
  int resets() {
    return resets.get();
  }

  boolean ready(int backend) {
    return ready.get(backend) == 1;
  }

  private void checkAll() {
    for (int i = 0; i < backends.size(); i++) {
      int backend = i;
      checks.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(backends.get(i))
              .setURI("/health/ready").setTimeout(1000))
          .compose(req -> req.send().compose(res -> res.body().map(b -> res.statusCode())))
          .onComplete(result -> ready.set(backend, result.succeeded() && result.result() == 200 ? 1 : 0));
    }
  }

  private void accept(NetSocket in) {
    connections.incrementAndGet();
    in.pause();
    connect(in, backends.size());
  }

  private void connect(NetSocket in, int triesLeft) {
    int backend = nextReady();
    if (backend < 0 || triesLeft == 0) {
      in.close();
      return;
    }
    client.connect(backends.get(backend), "127.0.0.1").onComplete(ar -> {
      if (ar.failed()) {
        ready.set(backend, 0);
        connect(in, triesLeft - 1);
        return;
      }
      NetSocket out = ar.result();
      in.exceptionHandler(e -> resets.incrementAndGet());
      out.exceptionHandler(e -> resets.incrementAndGet());
      out.closeHandler(v -> in.close());
      in.closeHandler(v -> out.close());
      in.pipeTo(out);
      out.pipeTo(in);
      in.resume();
    });
  }

  private int nextReady() {
    for (int i = 0; i < backends.size(); i++) {
      int candidate = Math.floorMod(next.getAndIncrement(), backends.size());
      if (ready.get(candidate) == 1) {
        return candidate;
      }
    }
    return -1;
  }

  private static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    await(vertx.close());
  }
}
