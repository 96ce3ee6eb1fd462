package logging;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

import java.util.concurrent.ThreadLocalRandom;

/**
 * First handler of every request: keeps the client's {@code X-Request-Id} when it is 1-64 characters of
 * {@code A-Z a-z 0-9 . _ : -} (what proxies and tracing tools send: UUIDs, hex, dotted ids), else makes one
 * (32 hex digits), so nothing a client sends (line breaks, quotes, megabytes) reaches a log line. The id goes
 * on the response at once, so every answer carries it, refusals included, and on the request's Vert.x context,
 * so every line logged while serving it carries it too (see openapi.yaml, "Conventions").
 */
public final class RequestIdHandler implements Handler<RoutingContext> {

  public static final String HEADER = "X-Request-Id";
  private static final CharSequence HEADER_NAME = io.vertx.core.http.HttpHeaders.createOptimized(HEADER);
  static final int MAX_LENGTH = 64;
  private static final String KEY = "roster.requestId";

  @Override
  public void handle(RoutingContext rc) {
    String given = rc.request().getHeader(HEADER_NAME);
    String id = isSane(given) ? given : newId();
    rc.put(KEY, id);
    LogContext.setRequestId(id);
    rc.response().putHeader(HEADER_NAME, id);
    rc.next();
  }

  /** The id of this request, or null before this handler ran. */
  public static String of(RoutingContext rc) {
    return rc.get(KEY);
  }

  static boolean isSane(String id) {
    if (id == null || id.isEmpty() || id.length() > MAX_LENGTH) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '.' || c == '_' || c == ':' || c == '-';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** 128 random bits: unique enough to find one request among billions; not a secret, so no SecureRandom. */
  static String newId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    char[] digits = new char[32];
    hex(random.nextLong(), digits, 0);
    hex(random.nextLong(), digits, 16);
    return new String(digits);
  }

  /** The 16 hex digits of {@code value}, leading zeros included, into {@code out} from {@code at}. */
  private static void hex(long value, char[] out, int at) {
    for (int i = at + 15; i >= at; i--) {
      out[i] = HEX[(int) (value & 0xf)];
      value >>>= 4;
    }
  }

  private static final char[] HEX = "0123456789abcdef".toCharArray();
}
