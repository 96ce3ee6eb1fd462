package config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * Where the identity provider may be reached: keys fetched over plain http could be swapped by anyone on the
 * path, so https, except on loopback (a sidecar, tests) or when ops explicitly allow it.
 */
public final class ProviderUrl {

  public enum Verdict { HTTPS, LOOPBACK_HTTP, ALLOWED_HTTP, PLAIN_HTTP, MALFORMED }

  private ProviderUrl() {
  }

  public static Verdict check(String url, boolean allowHttp) {
    URI uri;
    try {
      uri = new URI(url.trim());
    } catch (URISyntaxException e) {
      return Verdict.MALFORMED;
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (uri.getHost() == null || !(scheme.equals("https") || scheme.equals("http"))) {
      return Verdict.MALFORMED;
    }
    if (scheme.equals("https")) {
      return Verdict.HTTPS;
    }
    if (isLoopback(uri.getHost())) {
      return Verdict.LOOPBACK_HTTP;
    }
    return allowHttp ? Verdict.ALLOWED_HTTP : Verdict.PLAIN_HTTP;
  }

  /** By name only: resolving would block, and a name that resolves to 127.0.0.1 today may not tomorrow. */
  static boolean isLoopback(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    return h.equals("localhost") || h.equals("[::1]") || h.equals("::1")
        || h.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
  }
}
