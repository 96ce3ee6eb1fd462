package config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * {@code ROSTER_AMQP_URL} as a list: one URL per RabbitMQ node, comma-separated. One connection is made to
 * whichever node answers, so the nodes must be one broker to the client: the same scheme (TLS or not), user,
 * password and vhost in every element; only host and port differ. Refusals never quote user or password.
 */
public final class BrokerUrls {

  private BrokerUrls() {
  }

  /** The elements, trimmed, empty ones left out ("a,b," is a and b). */
  public static List<String> split(String value) {
    return value == null ? List.of()
        : Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  /**
   * Why these URLs cannot be one broker, or null when they can (or when there is only one: a malformed single
   * URL is reported when connecting, as before). Elements that are not URLs are reported by position only.
   */
  public static String disagreement(List<String> urls) {
    if (urls.size() < 2) {
      return null;
    }
    URI first = parse(urls.get(0));
    for (int i = 0; i < urls.size(); i++) {
      URI other = parse(urls.get(i));
      if (first == null || other == null) {
        return "element " + (first == null ? 1 : i + 1) + " of " + urls.size() + " is not an amqp:// or amqps:// URL";
      }
      if (!scheme(first).equals(scheme(other))) {
        return "element " + (i + 1) + " (" + where(other) + ") uses " + scheme(other) + " but element 1 uses "
            + scheme(first) + ": every node is reached with TLS, or none";
      }
      if (!Objects.equals(first.getRawUserInfo(), other.getRawUserInfo())) {
        return "element " + (i + 1) + " (" + where(other) + ") has another user or password than element 1: "
            + "every node is reached with the same credentials";
      }
      if (!vhost(first).equals(vhost(other))) {
        return "element " + (i + 1) + " (" + where(other) + ") names vhost '" + vhost(other) + "' but element 1 '"
            + vhost(first) + "': every node serves the same vhost";
      }
      if (!Objects.equals(first.getRawQuery(), other.getRawQuery())) {
        return "element " + (i + 1) + " (" + where(other) + ") has other URL parameters than element 1";
      }
    }
    return null;
  }

  private static URI parse(String url) {
    try {
      URI uri = new URI(url);
      String scheme = scheme(uri);
      return uri.getHost() != null && (scheme.equals("amqp") || scheme.equals("amqps")) ? uri : null;
    } catch (URISyntaxException e) {
      return null;
    }
  }

  private static String scheme(URI uri) {
    return uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
  }

  /** amqp://host and amqp://host/ both mean the default vhost "/". */
  private static String vhost(URI uri) {
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    return path.isEmpty() || path.equals("/") ? "/" : path.substring(1);
  }

  private static String where(URI uri) {
    return uri.getHost() + (uri.getPort() == -1 ? "" : ":" + uri.getPort());
  }
}
