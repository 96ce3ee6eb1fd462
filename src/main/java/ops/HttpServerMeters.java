package ops;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.core.spi.observability.HttpResponse;
import io.vertx.micrometer.Label;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The request-level HTTP server metrics, under the names, labels and label values vertx-micrometer gives them
 * (vertx_http_server_requests_total, _response_time_seconds, _response_bytes, _request_bytes, _active_requests,
 * _request_resets_total), each meter looked up once per method, route and status code and then kept:
 * vertx-micrometer merges Tags and asks the registry for ~5 meters on every request. Vert.x itself calls these
 * hooks, so the route label (the matched routes' names, joined by '>', "" when none matched) and the answers
 * refused before any routing (414, 431) are counted exactly as before. The connection-level meters
 * (active_connections, bytes_read/written, errors) stay vertx-micrometer's: none is looked up per request.
 */
final class HttpServerMeters implements HttpServerMetrics<HttpServerMeters.Request, Object, Object> {

  private static final String PREFIX = "vertx.http.server.";
  /** Status codes below this are kept in an array per route; any other is looked up in the registry. */
  private static final int CODES = 600;

  private final HttpServerMetrics<Object, Object, Object> connections;
  private final ByMethod byMethod;

  HttpServerMeters(HttpServerMetrics<Object, Object, Object> connections, ByMethod byMethod) {
    this.connections = connections;
    this.byMethod = byMethod;
  }

  @Override
  public Request requestBegin(Object socket, HttpRequest request) {
    return new Request(byMethod.of(request.method()));
  }

  @Override
  public Request responsePushed(Object socket, HttpMethod method, String uri, HttpResponse response) {
    return new Request(byMethod.of(method));
  }

  @Override
  public void requestRouted(Request request, String route) {
    if (route != null) {
      // a request that meets several named routes is labelled with them all, as Vert.x did: a>b
      request.route = request.route == null ? route : request.route + '>' + route;
    }
  }

  @Override
  public void requestEnd(Request request, HttpRequest httpRequest, long bytesRead) {
    request.meters.requestBytes.record(bytesRead);
    request.requestEnded = true;
    if (!request.reset && request.responseEnded) {
      request.meters.active.decrement();
    }
  }

  @Override
  public void responseEnd(Request request, HttpResponse response, long bytesWritten) {
    Answered answered = request.meters.of(request.route == null ? "" : request.route, response.statusCode());
    answered.requests.increment();
    answered.time.record(System.nanoTime() - request.start, TimeUnit.NANOSECONDS);
    answered.bytes.record(bytesWritten);
    request.responseEnded = true;
    if (!request.reset && request.requestEnded) {
      request.meters.active.decrement();
    }
  }

  @Override
  public void requestReset(Request request) {
    request.meters.resets().increment();
    request.meters.active.decrement();
    request.reset = true;
  }

  @Override
  public Object connected(SocketAddress remoteAddress, String remoteName) {
    return connections.connected(remoteAddress, remoteName);
  }

  @Override
  public void disconnected(Object socket, SocketAddress remoteAddress) {
    if (socket != null) {
      connections.disconnected(socket, remoteAddress);
    }
  }

  @Override
  public void bytesRead(Object socket, SocketAddress remoteAddress, long numberOfBytes) {
    if (socket != null) {
      connections.bytesRead(socket, remoteAddress, numberOfBytes);
    }
  }

  @Override
  public void bytesWritten(Object socket, SocketAddress remoteAddress, long numberOfBytes) {
    // Vert.x may report bytes of a connection it never announced (seen with the NIO transport, in the image):
    // vertx-micrometer would throw inside the response's write
    if (socket != null) {
      connections.bytesWritten(socket, remoteAddress, numberOfBytes);
    }
  }

  @Override
  public void exceptionOccurred(Object socket, SocketAddress remoteAddress, Throwable t) {
    if (socket != null) {
      connections.exceptionOccurred(socket, remoteAddress, t);
    }
  }

  @Override
  public Object connected(Object socket, Request request, ServerWebSocket webSocket) {
    return connections.connected(socket, null, webSocket); // vertx-micrometer reads only the socket's labels
  }

  @Override
  public void disconnected(Object webSocket) {
    connections.disconnected(webSocket);
  }

  @Override
  public void close() {
    connections.close();
  }

  /** One request: Vert.x keeps it from requestBegin to the end of the response. */
  static final class Request {
    final MethodMeters meters;
    final long start = System.nanoTime();
    String route;
    boolean requestEnded;
    boolean responseEnded;
    boolean reset;

    Request(MethodMeters meters) {
      this.meters = meters;
      meters.active.increment();
    }
  }

  /** The meters of a registry, by method: one per Vert.x instance, shared by its HTTP servers. */
  static final class ByMethod {
    private final MeterRegistry registry;
    private final ConcurrentMap<String, MethodMeters> methods = new ConcurrentHashMap<>();

    ByMethod(MeterRegistry registry) {
      this.registry = registry;
    }

    MethodMeters of(HttpMethod method) {
      String name = method.name();
      MethodMeters meters = methods.get(name);
      return meters != null ? meters : methods.computeIfAbsent(name, m -> new MethodMeters(registry, m));
    }
  }

  /** What Vert.x labels by method only, and the meters of its answers by route and code. */
  static final class MethodMeters {
    private final MeterRegistry registry;
    private final String method;
    final LongAdder active = new LongAdder();
    final DistributionSummary requestBytes;
    private volatile Counter resets;
    private final ConcurrentMap<String, AtomicReferenceArray<Answered>> routes = new ConcurrentHashMap<>();

    MethodMeters(MeterRegistry registry, String method) {
      this.registry = registry;
      this.method = method;
      Gauge.builder(PREFIX + "active.requests", active, LongAdder::doubleValue).strongReference(true)
          .description("Number of requests being processed").tag(Label.HTTP_METHOD.toString(), method)
          .register(registry);
      requestBytes = DistributionSummary.builder(PREFIX + "request.bytes").description("Size of requests in bytes")
          .tag(Label.HTTP_METHOD.toString(), method).register(registry);
    }

    /** Registered at the first reset, as Vert.x did: no series of zeros for a method never reset. */
    Counter resets() {
      Counter counter = resets;
      if (counter == null) {
        counter = Counter.builder(PREFIX + "request.resets").description("Number of request resets")
            .tag(Label.HTTP_METHOD.toString(), method).register(registry);
        resets = counter;
      }
      return counter;
    }

    Answered of(String route, int code) {
      if (code < 0 || code >= CODES) {
        return new Answered(registry, route, method, code); // the registry returns the meters it already has
      }
      AtomicReferenceArray<Answered> byCode = routes.get(route);
      if (byCode == null) {
        byCode = routes.computeIfAbsent(route, r -> new AtomicReferenceArray<>(CODES));
      }
      Answered answered = byCode.get(code);
      if (answered == null) {
        // two threads may both build it: the registry hands both the same meters
        answered = new Answered(registry, route, method, code);
        byCode.set(code, answered);
      }
      return answered;
    }
  }

  /** The meters of the answers with one route, method and status code. */
  static final class Answered {
    final Counter requests;
    final Timer time;
    final DistributionSummary bytes;

    Answered(MeterRegistry registry, String route, String method, int code) {
      String[] tags = {Label.HTTP_ROUTE.toString(), route, Label.HTTP_METHOD.toString(), method,
          Label.HTTP_CODE.toString(), String.valueOf(code)};
      requests = Counter.builder(PREFIX + "requests").description("Number of processed requests").tags(tags)
          .register(registry);
      time = Timer.builder(PREFIX + "response.time").description("Request processing time").tags(tags)
          .register(registry);
      bytes = DistributionSummary.builder(PREFIX + "response.bytes").description("Size of responses in bytes")
          .tags(tags).register(registry);
    }
  }
}
