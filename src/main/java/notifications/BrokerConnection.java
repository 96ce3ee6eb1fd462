package notifications;

import com.rabbitmq.client.Address;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import ops.Backoff;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One AMQP connection and channel (RabbitMQ Java client), owned by one verticle. Blocking client calls
 * run on worker threads, in order. With several broker nodes ({@link BrokerEndpoint#addresses()}) it connects to
 * whichever answers first, trying them in a random order so that a fleet spreads over the nodes. A lost
 * connection is re-established the same way (so through a node that is still up) with jittered backoff
 * ({@link Backoff}: 0.5 s doubling to 15 s), the topology is declared again, and {@code onConnected} runs again
 * (to restart consumers).
 */
public final class BrokerConnection {

  /** A call on the channel; runs on a worker thread. */
  public interface ChannelCall<T> {
    T call(Channel channel) throws Exception;
  }

  private static final Logger log = LoggerFactory.getLogger(BrokerConnection.class);
  /** How long close() waits for a connect in progress (connect and handshake time out after 5 s each). */
  private static final long CLOSE_WAIT_MS = 15_000;

  private final Vertx vertx;
  private final Context context;
  private final BrokerEndpoint endpoint;
  private final String name;
  private final Topology topology;
  private final ChannelCall<Void> onConnected;
  private volatile Connection connection;
  private volatile Channel channel;
  private volatile boolean closing;
  private final Backoff backoff = new Backoff(500, 15_000);
  /** The connect attempt in progress (or the last one): close() waits for it, so none outlives the owner. */
  private Future<?> attempt = Future.succeededFuture();

  public BrokerConnection(Vertx vertx, String url, String name, Topology topology, ChannelCall<Void> onConnected) {
    this(vertx, BrokerEndpoint.of(url), name, topology, onConnected);
  }

  public BrokerConnection(Vertx vertx, BrokerEndpoint endpoint, String name, Topology topology,
                          ChannelCall<Void> onConnected) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.endpoint = endpoint;
    this.name = name;
    this.topology = topology;
    this.onConnected = onConnected;
  }

  public Topology topology() {
    return topology;
  }

  /** What this connection serves (relay, worker, tasks): its name without the "roster-" prefix. */
  public String role() {
    return name.startsWith("roster-") ? name.substring("roster-".length()) : name;
  }

  /** Starts connecting; completes at once. A broker that is down now is retried in the background. */
  public Future<Void> start() {
    connect();
    return Future.succeededFuture();
  }

  public boolean isConnected() {
    Channel ch = channel;
    return ch != null && ch.isOpen();
  }

  /** Runs a call on the channel, or fails at once when disconnected (the caller retries later). */
  public <T> Future<T> call(ChannelCall<T> call) {
    Channel ch = channel;
    if (ch == null || !ch.isOpen()) {
      return Future.failedFuture(new java.io.IOException("not connected to the broker"));
    }
    return vertx.executeBlocking(() -> call.call(ch), true);
  }

  /** Runs a call on a given channel (one a message came on), or fails when that channel is gone. */
  public <T> Future<T> callOn(Channel ch, ChannelCall<T> call) {
    if (!ch.isOpen()) {
      return Future.failedFuture(new java.io.IOException("the channel closed; the broker will redeliver"));
    }
    return vertx.executeBlocking(() -> call.call(ch), true);
  }

  /** Acknowledges a delivery on the channel it came on (delivery tags are per channel). */
  public Future<Void> ack(Channel ch, long tag) {
    return callOn(ch, c -> {
      c.basicAck(tag, false);
      return null;
    });
  }

  /** Rejects a delivery without requeueing: the queue's dead-letter exchange takes it. */
  public Future<Void> deadLetter(Channel ch, long tag) {
    return callOn(ch, c -> {
      c.basicReject(tag, false);
      return null;
    });
  }

  /** Gives a delivery back to its queue, to be delivered again. */
  public Future<Void> requeue(Channel ch, long tag) {
    return callOn(ch, c -> {
      c.basicNack(tag, false, true);
      return null;
    });
  }

  /** Publishes to a queue through the default exchange and waits for the broker's confirm. */
  public Future<Void> publishConfirmed(Channel ch, String queue, com.rabbitmq.client.AMQP.BasicProperties props,
                                       byte[] body) {
    return callOn(ch, c -> {
      c.basicPublish("", queue, true, props, body);
      c.waitForConfirmsOrDie(10_000);
      return null;
    });
  }

  private void connect() {
    if (closing || !attempt.isComplete()) {
      return;
    }
    attempt = vertx.executeBlocking(() -> {
      ConnectionFactory factory = endpoint.factory();
      if (factory.getVirtualHost().isEmpty()) {
        factory.setVirtualHost("/"); // amqp://host:5672/ means the default vhost, as RabbitMQ users expect
      }
      factory.setAutomaticRecoveryEnabled(false);
      factory.setConnectionTimeout(5000);
      factory.setHandshakeTimeout(5000);
      factory.setRequestedHeartbeat(10);
      List<Address> nodes = new ArrayList<>(endpoint.addresses());
      Collections.shuffle(nodes); // the client shuffles too (AddressResolver.maybeShuffle); this does not rely on it
      Connection conn = factory.newConnection(nodes, name);
      try {
        Channel ch = conn.createChannel();
        topology.declare(ch);
        onConnected.call(ch);
        synchronized (this) {
          if (closing) { // the owner stopped meanwhile (and stopped waiting): nobody would use or close it
            conn.abort();
            return null;
          }
          connection = conn;
          channel = ch;
        }
        conn.addShutdownListener(cause -> lost(conn, cause.getMessage()));
        // a channel-level error (e.g. a nacked confirm) closes only the channel: start afresh
        ch.addShutdownListener(cause -> lost(conn, cause.getMessage()));
        return conn;
      } catch (Exception e) {
        conn.abort();
        throw e;
      }
    }, false).onComplete(result -> {
      if (result.succeeded()) {
        backoff.reset();
        Connection conn = result.result();
        if (conn != null) {
          // which node: after a node is lost, the log shows where each role went
          log.info("{}: connected to the broker at {}:{}", name, conn.getAddress().getHostAddress(), conn.getPort());
        }
      } else if (!closing) {
        long delay = backoff.nextDelayMs();
        // with several nodes the client reports the error of the last node it tried
        log.warn("{}: cannot reach the broker at {} ({}{}); retrying in {} ms", name, endpoint.redacted(),
            endpoint.nodes() > 1 ? "no node took the connection; the last one tried: " : "",
            endpoint.scrub(describe(result.cause())), delay);
        vertx.setTimer(delay, t -> connect());
      }
    });
  }

  private void lost(Connection conn, String why) {
    if (closing) {
      return;
    }
    context.runOnContext(v -> {
      if (connection != conn) {
        return;
      }
      log.warn("{}: broker connection lost: {}", name, endpoint.scrub(why));
      connection = null;
      channel = null;
      // a node that goes away drops every client at once: jitter even the first retry, so they do not all
      // land on the nodes left at the same instant
      long delay = backoff.nextDelayMs();
      vertx.executeBlocking(() -> {
        conn.abort();
        return null;
      }).onComplete(done -> vertx.setTimer(delay, t -> connect()));
    });
  }

  /**
   * Closes the connection. A connect attempt still running (its consumers may be starting) is waited for
   * first: closing before it ends would leave a connection, and consumers, that nobody owns any more.
   */
  public Future<Void> close() {
    closing = true;
    return attempt.timeout(CLOSE_WAIT_MS, TimeUnit.MILLISECONDS).transform(ignored -> {
      Connection conn;
      synchronized (this) {
        conn = connection;
        connection = null;
        channel = null;
      }
      if (conn == null) {
        return Future.<Void>succeededFuture();
      }
      return vertx.<Void>executeBlocking(() -> {
        try {
          conn.close(2000);
        } catch (Exception ignoredClose) {
          conn.abort();
        }
        return null;
      });
    });
  }

  private static String describe(Throwable t) {
    if (t instanceof TimeoutException) {
      return "timeout";
    }
    Throwable root = t;
    boolean tls = false;
    while (root.getCause() != null) {
      tls |= root instanceof javax.net.ssl.SSLException;
      root = root.getCause();
    }
    String what = root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
    if (tls || root instanceof javax.net.ssl.SSLException || root instanceof java.security.cert.CertificateException) {
      return "TLS handshake refused: the broker's certificate is not trusted or does not name the URL's host ("
          + what + "); ROSTER_AMQP_TRUST_STORE names the CAs to trust";
    }
    return what;
  }

}
