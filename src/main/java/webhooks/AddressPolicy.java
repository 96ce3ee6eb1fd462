package webhooks;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Where webhooks may go: http(s) URLs whose host resolves only to public addresses, unless the host (by name, by
 * address or by a CIDR range) is on the allow-list ({@code webhooks.allowedHosts}). Private, loopback, link-local
 * (the cloud metadata address among them), unique-local, CGNAT, multicast and reserved addresses are refused, so
 * an admin's URL cannot make the service reach inside its own network. Checked when a URL is saved and again at
 * each delivery, on the addresses the worker then connects to (a name that later resolves elsewhere is caught).
 */
public final class AddressPolicy {

  /** A network in CIDR form; a single address is a /32 or /128. */
  private record Cidr(byte[] network, int bits) {
    boolean contains(InetAddress address) {
      byte[] a = address.getAddress();
      if (a.length != network.length) {
        return false;
      }
      for (int i = 0; i < bits; i++) {
        int mask = 0x80 >> (i % 8);
        if ((a[i / 8] & mask) != (network[i / 8] & mask)) {
          return false;
        }
      }
      return true;
    }
  }

  /** Not public: IPv4 ranges the is*() methods of InetAddress do not cover. */
  private static final List<Cidr> RESERVED = List.of(
      cidr("0.0.0.0/8"), cidr("100.64.0.0/10"), cidr("192.0.0.0/24"), cidr("192.0.2.0/24"), cidr("198.18.0.0/15"),
      cidr("198.51.100.0/24"), cidr("203.0.113.0/24"), cidr("240.0.0.0/4"),
      cidr("fc00::/7"), cidr("2001:db8::/32"), cidr("64:ff9b::/96"));

  private final Set<String> hosts = new TreeSet<>();
  private final List<Cidr> networks = new ArrayList<>();

  /** @param allowed comma-separated host names, addresses or CIDR ranges that may be reached even if not public */
  public AddressPolicy(String allowed) {
    for (String entry : allowed.split(",")) {
      String e = entry.trim().toLowerCase(Locale.ROOT);
      if (e.isEmpty()) {
        continue;
      }
      if (e.contains("/") || isLiteral(e)) {
        networks.add(cidr(e.contains("/") ? e : e + (e.contains(":") ? "/128" : "/32")));
      } else {
        hosts.add(e);
      }
    }
  }

  /** The parts of a URL a delivery needs; null host or an unsupported scheme make it invalid. */
  public record Target(String scheme, String host, int port, String pathAndQuery) {
    public boolean tls() {
      return scheme.equals("https");
    }
  }

  /** The URL's scheme, host, port and path, or a {@link Refused} saying why it cannot be a webhook URL. */
  public static Target parse(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (Exception e) {
      throw new Refused("is not a valid URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new Refused("must be an http or https URL");
    }
    if (uri.getHost() == null || uri.getRawUserInfo() != null) {
      throw new Refused("must name a host, without user information");
    }
    String host = uri.getHost().toLowerCase(Locale.ROOT);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port = uri.getPort() != -1 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
    String path = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
        + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    return new Target(scheme, host, port, path);
  }

  /**
   * Blocking (DNS): resolves the target's host and returns its addresses, every one of them allowed.
   * @throws Refused when the host does not resolve or one address is not allowed
   */
  public List<InetAddress> resolve(Target target) {
    InetAddress[] addresses;
    try {
      addresses = InetAddress.getAllByName(target.host());
    } catch (UnknownHostException e) {
      throw new Refused("names a host that does not resolve");
    }
    if (hosts.contains(target.host())) {
      return List.of(addresses);
    }
    for (InetAddress address : addresses) {
      if (!allowed(address)) {
        throw new Refused("resolves to an address that is not public (" + address.getHostAddress() + ")");
      }
    }
    return List.of(addresses);
  }

  boolean allowed(InetAddress address) {
    return networks.stream().anyMatch(n -> n.contains(address)) || isPublic(address);
  }

  static boolean isPublic(InetAddress a) {
    if (a.isAnyLocalAddress() || a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress()
        || a.isMulticastAddress()) {
      return false;
    }
    if (a instanceof Inet4Address && a.getAddress()[0] == (byte) 255) {
      return false;
    }
    if (a instanceof Inet6Address six && six.getAddress()[0] == 0 && isMappedOrCompatible(six)) {
      return false; // an IPv4 address in IPv6 form: refuse rather than decode
    }
    return RESERVED.stream().noneMatch(c -> c.contains(a));
  }

  private static boolean isMappedOrCompatible(Inet6Address a) {
    byte[] b = a.getAddress();
    for (int i = 0; i < 10; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private static boolean isLiteral(String text) {
    return text.contains(":") || text.matches("[0-9.]+");
  }

  private static Cidr cidr(String text) {
    int slash = text.indexOf('/');
    try {
      // a literal address: getByName does no lookup for it
      byte[] network = InetAddress.getByName(text.substring(0, slash)).getAddress();
      int bits = Integer.parseInt(text.substring(slash + 1));
      if (bits < 0 || bits > network.length * 8) {
        throw new IllegalArgumentException("bad prefix length in " + text);
      }
      return new Cidr(network, bits);
    } catch (UnknownHostException | NumberFormatException e) {
      throw new IllegalArgumentException("not an address or CIDR range: " + text);
    }
  }

  /** A URL that cannot be a webhook's: the message completes "The URL ...". */
  public static final class Refused extends RuntimeException {
    public Refused(String message) {
      super(message, null, false, false);
    }
  }
}
