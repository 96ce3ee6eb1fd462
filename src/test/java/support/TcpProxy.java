package support;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;

import java.net.URI;
import java.util.ArrayList;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on a local port in front of a server (PostgreSQL, RabbitMQ), for outage tests.
 * {@link #cut()} stops listening and closes every piped connection on both sides (the server sees its clients
 * go: RabbitMQ requeues what was not acknowledged); {@link #blackhole()} accepts connections and never answers;
 * {@link #forward()} listens again on the same port and forwards; {@link #holdReplies()} keeps the connections
 * open and lets the clients' bytes through, but nothing the server sends back (a broker that takes messages and
 * never confirms them); {@link #stall()} keeps every connection open but forwards nothing either way (a server
 * under flow control, or a network that drops packets).
 */
public final class TcpProxy implements AutoCloseable {

  private enum Mode { FORWARD, BLACKHOLE, CUT, STALL }

  private final Vertx vertx = Vertx.vertx();
  private final NetClient client;
  private final String targetHost;
  private final int targetPort;
  private final Set<NetSocket> sockets = ConcurrentHashMap.newKeySet();
  private final AtomicInteger connectionsSeen = new AtomicInteger();
  private final Set<NetSocket> piped = ConcurrentHashMap.newKeySet();
  private final Set<NetSocket> replies = ConcurrentHashMap.newKeySet();
  private volatile NetServer server;
  private volatile int port;
  private volatile Mode mode = Mode.FORWARD;

  public TcpProxy(String targetHost, int targetPort) {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.client = vertx.createNetClient(new NetClientOptions().setConnectTimeout(2000));
    listen(0);
  }

  public int port() {
    return port;
  }

  /** The given server URL (postgresql://, amqp://), pointed at this proxy. */
  public String url(String serverUrl) {
    URI server = URI.create(serverUrl);
    String userInfo = server.getRawUserInfo() == null ? "" : server.getRawUserInfo() + "@";
    String path = server.getRawPath() == null ? "" : server.getRawPath();
    return server.getScheme() + "://" + userInfo + "127.0.0.1:" + port + path;
  }

  public int connectionsSeen() {
    return connectionsSeen.get();
  }

  /** Client connections piped to the server now (a client that goes through this "node"). */
  public int connectionsOpen() {
    return piped.size();
  }

  public synchronized void cut() {
    mode = Mode.CUT;
    NetServer s = server;
    server = null;
    if (s != null) {
      await(s.close());
    }
    dropAll();
  }

  public synchronized void blackhole() {
    mode = Mode.BLACKHOLE;
    dropAll();
    if (server == null) {
      listen(port);
    }
  }

  public synchronized void stall() {
    mode = Mode.STALL;
    sockets.forEach(NetSocket::pause);
  }

  public synchronized void forward() {
    Mode before = mode;
    mode = Mode.FORWARD;
    if (before == Mode.BLACKHOLE) {
      dropAll(); // the held connections never got an answer: end them, clients will open new ones
    }
    if (before == Mode.STALL) {
      sockets.forEach(NetSocket::resume); // what waited in the kernel's buffers flows on
    }
    if (server == null) {
      listen(port);
    }
  }

  /** From now on nothing the server sends reaches the clients; what they send still reaches the server. */
  public synchronized void holdReplies() {
    replies.forEach(NetSocket::pause);
  }

  private void listen(int wanted) {
    NetServer s = vertx.createNetServer(new NetServerOptions().setHost("127.0.0.1").setPort(wanted)
        .setReuseAddress(true));
    s.connectHandler(this::accept);
    await(s.listen());
    server = s;
    port = s.actualPort();
  }

  private void accept(NetSocket in) {
    connectionsSeen.incrementAndGet();
    sockets.add(in);
    in.closeHandler(v -> sockets.remove(in));
    if (mode != Mode.FORWARD) {
      in.handler(ignored -> { }); // swallow what the client says: the server "never answers"
      return;
    }
    in.pause();
    client.connect(targetPort, targetHost).onComplete(ar -> {
      if (ar.failed() || mode != Mode.FORWARD) {
        if (ar.succeeded()) {
          ar.result().close();
        }
        in.close();
        return;
      }
      NetSocket out = ar.result();
      sockets.add(out);
      piped.add(in);
      replies.add(out);
      out.closeHandler(v -> {
        sockets.remove(out);
        replies.remove(out);
        piped.remove(in);
        in.close();
      });
      in.closeHandler(v -> {
        sockets.remove(in);
        piped.remove(in);
        out.close();
      });
      in.pipeTo(out);
      out.pipeTo(in);
    });
  }

  private void dropAll() {
    for (NetSocket s : new ArrayList<>(sockets)) {
      try {
        await(s.close());
      } catch (RuntimeException ignored) {
        // already closed
      }
    }
    sockets.clear();
    piped.clear();
    replies.clear();
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
    cut();
    await(vertx.close());
  }
}
