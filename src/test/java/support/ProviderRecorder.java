package support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * An SMS or push provider for tests: a real HTTP server on a free local port that records every request
 * and answers from a script (default 200), e.g. 500, 500, 500 then 200, or 429 with Retry-After.
 */
public final class ProviderRecorder implements AutoCloseable {

  /** One request as the provider saw it. */
  public record Request(String method, String path, Map<String, List<String>> headers, String body) {
    public String header(String name) {
      return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
          .findFirst().map(e -> e.getValue().get(0)).orElse(null);
    }

    /** A field of a form-encoded body (an SMS provider's To, Body, ...), decoded; null when absent. */
    public String form(String name) {
      for (String pair : body.split("&")) {
        String[] kv = pair.split("=", 2);
        if (kv.length == 2 && URLDecoder.decode(kv[0], StandardCharsets.UTF_8).equals(name)) {
          return URLDecoder.decode(kv[1], StandardCharsets.UTF_8);
        }
      }
      return null;
    }
  }

  /** A scripted answer. */
  public record Answer(int status, String body, Map<String, String> headers) {
    public static Answer of(int status) {
      return new Answer(status, "{}", Map.of());
    }
  }

  private final HttpServer server;
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final ConcurrentLinkedQueue<Answer> script = new ConcurrentLinkedQueue<>();
  private volatile Answer fallback = Answer.of(200);
  private volatile long latencyMs;

  public ProviderRecorder() {
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    server.setExecutor(Executors.newFixedThreadPool(16));
    server.createContext("/", this::handle);
    server.start();
  }

  private void handle(HttpExchange exchange) throws IOException {
    String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    requests.add(new Request(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
        Map.copyOf(exchange.getRequestHeaders()), body));
    if (latencyMs > 0) {
      try {
        Thread.sleep(latencyMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    Answer answer = script.poll();
    if (answer == null) {
      answer = fallback;
    }
    byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
    answer.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(answer.status(), bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** The next answers, in order; after them the fallback. */
  public void script(Answer... answers) {
    script.addAll(List.of(answers));
  }

  /** Every answer from now on takes this long (a slow provider keeps deliveries in flight). */
  public void latency(long ms) {
    latencyMs = ms;
  }

  public void answerAlways(Answer answer) {
    fallback = answer;
  }

  public List<Request> requests() {
    return new ArrayList<>(requests);
  }

  public void reset() {
    requests.clear();
    script.clear();
    fallback = Answer.of(200);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
