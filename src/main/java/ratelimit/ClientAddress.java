package ratelimit;

import io.vertx.core.http.HttpServerRequest;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The address a request came from. {@code X-Forwarded-For} is believed only when the peer is a configured
 * trusted proxy (rate.trustedProxies): otherwise any client could name a fresh address per request and escape
 * its limit. Walking the header from the right, the first address that is not a trusted proxy is the client.
 */
public final class ClientAddress {

  private final List<Cidr> trusted;

  private record Cidr(byte[] network, int bits) {
    boolean contains(byte[] address) {
      if (address.length != network.length) {
        return false;
      }
      for (int i = 0; i < bits; i++) {
        int mask = 0x80 >>> (i % 8);
        if ((address[i / 8] & mask) != (network[i / 8] & mask)) {
          return false;
        }
      }
      return true;
    }
  }

  /** @param proxies comma-separated addresses or CIDR ranges, literal only (never a host name to resolve) */
  public ClientAddress(String proxies) {
    List<Cidr> list = new ArrayList<>();
    for (String entry : proxies.split(",")) {
      String text = entry.trim();
      if (text.isEmpty()) {
        continue;
      }
      int slash = text.indexOf('/');
      byte[] address = literal(slash < 0 ? text : text.substring(0, slash));
      if (address == null) {
        throw new config.ConfigException("ROSTER_RATE_TRUSTED_PROXIES: '" + text + "' is not an IP address or CIDR range");
      }
      int bits = address.length * 8;
      if (slash >= 0) {
        try {
          bits = Integer.parseInt(text.substring(slash + 1));
        } catch (NumberFormatException e) {
          bits = -1;
        }
        if (bits < 0 || bits > address.length * 8) {
          throw new config.ConfigException("ROSTER_RATE_TRUSTED_PROXIES: '" + text + "' has a bad prefix length");
        }
      }
      list.add(new Cidr(address, bits));
    }
    this.trusted = List.copyOf(list);
  }

  /** The client's key: its IPv4 address, or the /64 network of an IPv6 one (one host can hold a whole /64). */
  public String of(HttpServerRequest request) {
    return keyOf(client(request));
  }

  private String client(HttpServerRequest request) {
    String peer = request.remoteAddress() == null ? "unknown" : request.remoteAddress().hostAddress();
    if (trusted.isEmpty() || !isTrusted(peer)) {
      return peer;
    }
    String forwarded = request.getHeader("X-Forwarded-For");
    if (forwarded == null) {
      return peer;
    }
    List<String> hops = Arrays.stream(forwarded.split(",")).map(String::trim).filter(h -> !h.isEmpty()).toList();
    for (int i = hops.size() - 1; i >= 0; i--) {
      String hop = hops.get(i);
      if (literal(hop) == null) {
        return peer; // garbage in the header: count the proxy, not a made-up name
      }
      if (!isTrusted(hop)) {
        return hop;
      }
    }
    return hops.isEmpty() ? peer : hops.get(0);
  }

  private static String keyOf(String address) {
    if (address.indexOf(':') < 0) {
      return address; // IPv4 (or no address at all): the key is the address itself, no need to parse it
    }
    byte[] bytes = literal(address);
    if (bytes == null || bytes.length == 4) {
      return address;
    }
    StringBuilder prefix = new StringBuilder();
    for (int i = 0; i < 8; i += 2) {
      prefix.append(Integer.toHexString(((bytes[i] & 0xff) << 8) | (bytes[i + 1] & 0xff))).append(':');
    }
    return prefix.append(":/64").toString();
  }

  private boolean isTrusted(String address) {
    byte[] bytes = literal(address);
    return bytes != null && trusted.stream().anyMatch(c -> c.contains(bytes));
  }

  /** The bytes of an IP literal; null for anything else (no DNS lookup is ever made). */
  private static byte[] literal(String text) {
    if (text.isEmpty() || !(text.indexOf(':') >= 0 || text.chars().allMatch(c -> c == '.' || Character.isDigit(c)))) {
      return null;
    }
    if (text.indexOf(':') >= 0 && !text.chars().allMatch(c -> c == ':' || c == '.' || Character.digit(c, 16) >= 0)) {
      return null;
    }
    try {
      return InetAddress.getByName(text).getAddress();
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
