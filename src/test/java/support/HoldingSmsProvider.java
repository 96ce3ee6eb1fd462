package support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A Twilio-compatible SMS provider for crash tests: a real HTTP server on a free local port that records every
 * message as it arrives (its {@code To}) and answers 201, or holds its answer until {@link #release()} (the next
 * request's with {@link #holdNext()}, every one's from {@link #holdAll()}), so the sends that reach it stay in
 * flight in the worker for as long as the test wants.
 */
public final class HoldingSmsProvider implements AutoCloseable {

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final List<String> received = new CopyOnWriteArrayList<>();
  private final AtomicInteger held = new AtomicInteger();
  private final AtomicReference<CountDownLatch> next = new AtomicReference<>();
  private volatile CountDownLatch heldNext;
  private volatile CountDownLatch gate;

  public HoldingSmsProvider() {
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** The next request is recorded and left without an answer until {@link #release()}. */
  public void holdNext() {
    next.set(new CountDownLatch(1));
  }

  /** From now on every request is recorded and left without an answer until {@link #release()}. */
  public void holdAll() {
    gate = new CountDownLatch(1);
  }

  /** Answers the held requests (their senders may be gone) and every later one at once. */
  public void release() {
    CountDownLatch g = gate;
    gate = null;
    for (CountDownLatch latch : new CountDownLatch[] {g, heldNext, next.getAndSet(null)}) {
      if (latch != null) {
        latch.countDown();
      }
    }
  }

  /** Requests received and not answered yet. */
  public int held() {
    return held.get();
  }

  /** Every message received so far, in order, by recipient. */
  public List<String> received() {
    return List.copyOf(received);
  }

  /** The messages received for this phone number. */
  public List<String> to(String phone) {
    return received.stream().filter(phone::equals).toList();
  }

  /** Messages received per recipient. */
  public Map<String, Integer> perRecipient() {
    Map<String, Integer> counts = new ConcurrentHashMap<>();
    received.forEach(to -> counts.merge(to, 1, Integer::sum));
    return counts;
  }

  private void handle(HttpExchange exchange) throws IOException {
    String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    String to = "";
    for (String pair : body.split("&")) {
      String[] kv = pair.split("=", 2);
      if (kv.length == 2 && kv[0].equals("To")) {
        to = URLDecoder.decode(kv[1], StandardCharsets.UTF_8);
      }
    }
    received.add(to);
    CountDownLatch latch = next.getAndSet(null);
    if (latch != null) {
      heldNext = latch;
    } else {
      latch = gate;
    }
    if (latch != null) {
      held.incrementAndGet();
      try {
        latch.await(120, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        held.decrementAndGet();
      }
    }
    byte[] bytes = "{\"sid\":\"SM1\",\"status\":\"queued\"}".getBytes(StandardCharsets.UTF_8);
    try {
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(201, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    } catch (IOException closed) {
      // the worker that asked is gone
    }
  }

  @Override
  public void close() {
    release();
    server.stop(0);
    executor.shutdownNow();
  }
}
