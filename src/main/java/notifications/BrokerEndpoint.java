package notifications;

import com.rabbitmq.client.Address;
import com.rabbitmq.client.ConnectionFactory;
import config.AppConfig;
import config.BrokerUrls;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the broker is (one URL, or one per node of a cluster: {@link BrokerUrls}) and whom to trust there. For {@code amqps://} the broker's certificate must chain to a
 * trusted CA (the JVM's, or those of {@code amqp.trustStore}) and name the host of the URL: the RabbitMQ
 * client's own {@code amqps} default trusts any certificate. The URL's password never leaves this class:
 * log lines get {@link #redacted()} and {@link #scrub(String)}.
 */
public final class BrokerEndpoint {

  private final String url;
  private final List<String> urls;
  private final String trustStore;
  private final String trustStorePassword;
  private volatile SSLContext tls;

  private BrokerEndpoint(String url, String trustStore, String trustStorePassword) {
    this.url = url == null ? "" : url.trim();
    this.urls = BrokerUrls.split(this.url);
    this.trustStore = trustStore == null ? "" : trustStore.trim();
    this.trustStorePassword = trustStorePassword == null ? "" : trustStorePassword;
  }

  public static BrokerEndpoint of(AppConfig config) {
    return new BrokerEndpoint(config.amqpUrl(), config.amqpTrustStore(), config.amqpTrustStorePassword());
  }

  /** Trusting the JVM's default CAs for amqps://. */
  public static BrokerEndpoint of(String url) {
    return new BrokerEndpoint(url, "", "");
  }

  /**
   * A connection factory for this endpoint: user, password, vhost and TLS of the first URL (every element has the
   * same), hosts from {@link #addresses()}. Blocking (it may read the trust store): call on a worker.
   */
  ConnectionFactory factory() throws Exception {
    String disagreement = BrokerUrls.disagreement(urls);
    if (disagreement != null) {
      throw new IllegalArgumentException("ROSTER_AMQP_URL lists RabbitMQ nodes that are not one broker: " + disagreement);
    }
    URI uri = uri(first());
    ConnectionFactory factory = new ConnectionFactory();
    try {
      factory.setUri(uri);
    } catch (Exception e) {
      // Its messages quote the user info, password included.
      throw new IllegalArgumentException("ROSTER_AMQP_URL is not an amqp://user:password@host:port/vhost URL");
    }
    if (factory.isSSL()) {
      factory.useSslProtocol(tls());
      factory.enableHostnameVerification();
    }
    return factory;
  }

  /**
   * Every node, in the order configured. The client connects to the first that answers (with TLS, each node's
   * certificate must name its own host). Call after {@link #factory()}, which checks the URLs.
   */
  List<Address> addresses() {
    List<Address> addresses = new ArrayList<>();
    for (String each : urls.isEmpty() ? List.of(url) : urls) {
      URI uri = uri(each);
      boolean tls = "amqps".equalsIgnoreCase(uri.getScheme());
      // amqp:/// means localhost, as the client's own URI parsing has it
      String host = uri.getHost() == null ? ConnectionFactory.DEFAULT_HOST : uri.getHost();
      addresses.add(new Address(host, uri.getPort() != -1 ? uri.getPort()
          : tls ? ConnectionFactory.DEFAULT_AMQP_OVER_SSL_PORT : ConnectionFactory.DEFAULT_AMQP_PORT));
    }
    return addresses;
  }

  /** How many nodes the URL lists. */
  public int nodes() {
    return Math.max(1, urls.size());
  }

  /** The URLs without user and password, for log lines. */
  public String redacted() {
    List<String> out = new ArrayList<>();
    for (String each : urls.isEmpty() ? List.of(url) : urls) {
      try {
        URI uri = uri(each);
        out.add(new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(), null, null).toString());
      } catch (Exception e) {
        out.add("(a malformed ROSTER_AMQP_URL)");
      }
    }
    return String.join(",", out);
  }

  /** The text with the URL's password (as written and decoded) blanked out, should a library quote it. */
  public String scrub(String text) {
    if (text == null) {
      return null;
    }
    String out = text;
    for (String each : urls.isEmpty() ? List.of(url) : urls) {
      for (String secret : passwords(each)) {
        if (secret.length() >= 3) {
          out = out.replace(secret, "***");
        }
      }
    }
    return out;
  }

  private static String[] passwords(String url) {
    int scheme = url.indexOf("://");
    int at = url.lastIndexOf('@');
    if (scheme < 0 || at < scheme) {
      return new String[0];
    }
    String userInfo = url.substring(scheme + 3, at);
    int colon = userInfo.indexOf(':');
    if (colon < 0) {
      return new String[0];
    }
    String raw = userInfo.substring(colon + 1);
    try {
      return new String[] {raw, URLDecoder.decode(raw, StandardCharsets.UTF_8)};
    } catch (IllegalArgumentException e) {
      return new String[] {raw};
    }
  }

  private String first() {
    return urls.isEmpty() ? url : urls.get(0);
  }

  private static URI uri(String url) {
    try {
      return new URI(url);
    } catch (URISyntaxException e) {
      // getReason() leaves the input (and so the password) out.
      throw new IllegalArgumentException("ROSTER_AMQP_URL is not a valid URL: " + e.getReason());
    }
  }

  private SSLContext tls() throws Exception {
    SSLContext context = tls;
    if (context == null) {
      TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(trustStore.isEmpty() ? null : loadTrustStore());
      context = SSLContext.getInstance("TLS");
      context.init(null, trust.getTrustManagers(), null);
      tls = context;
    }
    return context;
  }

  /** PEM certificates (a CA bundle, as Kubernetes secrets hold them) or a PKCS12/JKS store. */
  private KeyStore loadTrustStore() throws Exception {
    Path path = Path.of(trustStore);
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(path);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot read ROSTER_AMQP_TRUST_STORE " + path + ": " + e);
    }
    if (new String(bytes, StandardCharsets.ISO_8859_1).contains("-----BEGIN CERTIFICATE-----")) {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (Certificate certificate : CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(bytes))) {
        store.setCertificateEntry("ca-" + i++, certificate);
      }
      if (i == 0) {
        throw new IllegalStateException("ROSTER_AMQP_TRUST_STORE " + path + " holds no certificate");
      }
      return store;
    }
    return KeyStore.getInstance(path.toFile(), trustStorePassword.toCharArray());
  }
}
