package support;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A partner's webhook endpoint: a real HTTP server on 127.0.0.1 that records what each path received and answers
 * as scripted (a status per request, in order; 200 once the script is used up). A path can also be held: its
 * requests wait unanswered until released. Signatures are checked by {@link #verify}, written from the Standard
 * Webhooks specification independently of the service's code.
 */
public final class WebhookReceiver implements AutoCloseable {

  public record Received(String path, Map<String, String> headers, String body, long atMillis) {
    public String header(String name) {
      return headers.get(name.toLowerCase());
    }

    public JsonObject json() {
      return new JsonObject(body);
    }
  }

  /** A scripted answer: status, headers and body (null: a short JSON one). */
  public record Answer(int status, Map<String, String> headers, String body) {
    public Answer(int status, Map<String, String> headers) {
      this(status, headers, null);
    }

    public static Answer of(int status) {
      return new Answer(status, Map.of());
    }
  }

  private final Vertx vertx = Vertx.vertx();
  private final HttpServer server;
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final Map<String, Deque<Answer>> scripts = new ConcurrentHashMap<>();
  private final Map<String, List<Promise<Void>>> held = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> open = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> mostOpen = new ConcurrentHashMap<>();

  public WebhookReceiver() {
    server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      Map<String, String> headers = new java.util.HashMap<>();
      req.headers().forEach(h -> headers.put(h.getKey().toLowerCase(), h.getValue()));
      String path = req.path();
      received.add(new Received(path, headers, body.toString(), System.currentTimeMillis()));
      int now = open.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
      mostOpen.computeIfAbsent(path, p -> new AtomicInteger()).accumulateAndGet(now, Math::max);
      Promise<Void> release = Promise.promise();
      List<Promise<Void>> waiting = held.get(path);
      if (waiting != null) {
        waiting.add(release);
      } else {
        release.complete();
      }
      release.future().onComplete(v -> {
        open.get(path).decrementAndGet();
        Deque<Answer> script = scripts.get(path);
        Answer answer = script == null ? null : script.pollFirst();
        Answer a = answer == null ? Answer.of(200) : answer;
        a.headers().forEach((k, val) -> req.response().putHeader(k, val));
        req.response().setStatusCode(a.status())
            .end(a.body() != null ? a.body() : "{\"ok\":" + (a.status() < 300) + "}");
      });
    }));
    await(server.listen(0, "127.0.0.1"));
  }

  public String url(String path) {
    return "http://127.0.0.1:" + server.actualPort() + path;
  }

  public int port() {
    return server.actualPort();
  }

  public void script(String path, Answer... answers) {
    scripts.put(path, new ArrayDeque<>(List.of(answers)));
  }

  /** Requests to this path wait unanswered until {@link #release}. */
  public void hold(String path) {
    held.put(path, new CopyOnWriteArrayList<>());
  }

  public void release(String path) {
    List<Promise<Void>> waiting = held.remove(path);
    if (waiting != null) {
      vertx.runOnContext(v -> waiting.forEach(Promise::tryComplete));
    }
  }

  /** The most requests this path had open at once. */
  public int mostOpen(String path) {
    AtomicInteger n = mostOpen.get(path);
    return n == null ? 0 : n.get();
  }

  public List<Received> at(String path) {
    List<Received> out = new ArrayList<>();
    received.forEach(r -> {
      if (r.path().equals(path)) {
        out.add(r);
      }
    });
    return out;
  }

  /**
   * Standard Webhooks v1 verification: HMAC-SHA256 with the base64-decoded secret (after {@code whsec_}) over
   * {@code id.timestamp.body}; the header may carry several space-separated signatures, one matching is enough.
   */
  public static boolean verify(String secret, String id, String timestamp, String body, String signatureHeader) {
    try {
      byte[] key = Base64.getDecoder().decode(secret.substring("whsec_".length()));
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      byte[] expected = mac.doFinal((id + "." + timestamp + "." + body).getBytes(StandardCharsets.UTF_8));
      for (String candidate : signatureHeader.split(" ")) {
        if (candidate.startsWith("v1,")
            && MessageDigest.isEqual(expected, Base64.getDecoder().decode(candidate.substring(3)))) {
          return true;
        }
      }
      return false;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static boolean verify(String secret, Received r) {
    return verify(secret, r.header("webhook-id"), r.header("webhook-timestamp"), r.body(), r.header("webhook-signature"));
  }

  @Override
  public void close() {
    await(server.close());
    await(vertx.close());
  }

  private static <T> T await(io.vertx.core.Future<T> future) {
    try {
      return future.await(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException(e);
    }
  }
}
