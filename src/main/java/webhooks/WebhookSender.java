package webhooks;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import notifications.channels.Redaction;

import java.net.InetAddress;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * One attempt to POST a message to an endpoint, per Standard Webhooks v1: {@code webhook-id} (the message id),
 * {@code webhook-timestamp} (this attempt, unix seconds) and {@code webhook-signature} (one {@code v1,...} per
 * signing secret, space-separated). The host is resolved and checked here, and the request goes to the address
 * that was checked (never resolved again by the client), so a name that now points inside the network is refused
 * even if it did not when the URL was saved. Redirects are not followed; at most {@link #BODY_LIMIT} bytes of the
 * answer are kept.
 */
public final class WebhookSender {

  /** How much of an endpoint's answer is kept (for the delivery's last error). */
  static final int BODY_LIMIT = 4096;

  /** What an attempt came to: the status (null when none came), a Retry-After in seconds (0: none), an error. */
  public record Attempt(Integer status, long retryAfterSeconds, String error) {
    public boolean succeeded() {
      return status != null && status >= 200 && status < 300;
    }
  }

  private final Vertx vertx;
  private final HttpClient client;
  private final AddressPolicy policy;
  private final long timeoutMs;

  public WebhookSender(Vertx vertx, HttpClient client, AddressPolicy policy, long timeoutMs) {
    this.vertx = vertx;
    this.client = client;
    this.policy = policy;
    this.timeoutMs = timeoutMs;
  }

  /** Sends; fails only with {@link AddressPolicy.Refused} (the URL may not be reached), else an Attempt. */
  public Future<Attempt> send(WebhookEndpoint endpoint, WebhookMessage message) {
    AddressPolicy.Target target;
    try {
      target = AddressPolicy.parse(endpoint.url());
    } catch (AddressPolicy.Refused e) {
      return Future.failedFuture(e);
    }
    return vertx.executeBlocking(() -> policy.resolve(target), false)
        .compose(addresses -> post(target, addresses.get(0), endpoint, message)
            .recover(e -> Future.succeededFuture(new Attempt(null, 0, Redaction.apply(String.valueOf(e.getMessage()))))));
  }

  private Future<Attempt> post(AddressPolicy.Target target, InetAddress address, WebhookEndpoint endpoint,
                               WebhookMessage message) {
    String body = message.body().encode();
    String id = message.messageId().toString();
    long timestamp = Instant.now().getEpochSecond();
    List<WebhookSecret> secrets = endpoint.signingSecrets(OffsetDateTime.now(ZoneOffset.UTC));
    String signature = secrets.stream().map(s -> s.sign(id, timestamp, body)).collect(Collectors.joining(" "));
    RequestOptions options = new RequestOptions()
        .setMethod(HttpMethod.POST)
        // connect to the address that was checked; Host and TLS name stay the URL's
        .setServer(SocketAddress.inetSocketAddress(target.port(), address.getHostAddress()))
        .setHost(target.host())
        .setPort(target.port())
        .setSsl(target.tls())
        .setURI(target.pathAndQuery())
        .setFollowRedirects(false)
        .setTimeout(timeoutMs)
        .putHeader("content-type", "application/json")
        .putHeader("user-agent", "Roster-Webhooks/1")
        .putHeader("webhook-id", id)
        .putHeader("webhook-timestamp", Long.toString(timestamp))
        .putHeader("webhook-signature", signature);
    // setTimeout bounds each wait for data; this bounds the whole attempt (an answer that trickles in slowly)
    return client.request(options)
        .compose(request -> request.send(body))
        .compose(this::outcome)
        .timeout(timeoutMs, TimeUnit.MILLISECONDS);
  }

  private Future<Attempt> outcome(HttpClientResponse response) {
    int status = response.statusCode();
    long retryAfter = retryAfterSeconds(response.getHeader("retry-after"));
    return bounded(response).map(text -> new Attempt(status, retryAfter,
        status >= 200 && status < 300 ? null : "HTTP " + status + (text.isBlank() ? "" : ": " + Redaction.apply(text))));
  }

  /** Reads the answer, keeping at most BODY_LIMIT bytes of it. */
  private static Future<String> bounded(HttpClientResponse response) {
    Promise<String> done = Promise.promise();
    Buffer kept = Buffer.buffer();
    response.handler(chunk -> {
      int room = BODY_LIMIT - kept.length();
      if (room > 0) {
        kept.appendBuffer(chunk.length() <= room ? chunk : chunk.slice(0, room));
      }
    });
    response.exceptionHandler(done::tryFail);
    response.endHandler(v -> done.tryComplete(kept.toString()));
    return done.future();
  }

  /** Delta-seconds only (an HTTP date is rare from webhook receivers; it counts as none). */
  static long retryAfterSeconds(String header) {
    if (header == null) {
      return 0;
    }
    try {
      return Math.max(0, Long.parseLong(header.trim()));
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
