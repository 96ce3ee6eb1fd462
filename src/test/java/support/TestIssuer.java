package support;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An identity provider for tests, as Keycloak would be: its own RSA and EC keys, a JWKS and an
 * openid-configuration served over HTTP on a free local port, and tokens signed with those keys.
 */
public final class TestIssuer implements AutoCloseable {

  public static final String AUDIENCE = "roster-api";

  private final HttpServer server;
  private final List<JWK> published = new CopyOnWriteArrayList<>();
  private final AtomicInteger jwksRequests = new AtomicInteger();
  /** The issuer its openid-configuration names: its own unless a test makes it lie. */
  private volatile String discoveredIssuer;
  private volatile RSAKey rsa;
  /** How long the JWKS endpoint takes to answer: a slow identity provider. */
  private volatile long jwksDelayMs;
  private final ECKey ec;

  public TestIssuer() {
    try {
      rsa = new RSAKeyGenerator(2048).keyID("rsa-" + UUID.randomUUID()).generate();
      ec = new ECKeyGenerator(Curve.P_256).keyID("ec-" + UUID.randomUUID()).generate();
      published.add(rsa.toPublicJWK());
      published.add(ec.toPublicJWK());
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    } catch (JOSEException | IOException e) {
      throw new IllegalStateException(e);
    }
    // Where Keycloak serves it: <issuer>/.well-known/openid-configuration.
    server.createContext("/realms/roster/.well-known/openid-configuration", exchange -> respond(
        exchange.getResponseBody(), exchange, "{\"issuer\":\"" + (discoveredIssuer != null ? discoveredIssuer : issuer())
        + "\",\"jwks_uri\":\"" + jwksUrl() + "\"}"));
    server.createContext("/jwks", exchange -> {
      jwksRequests.incrementAndGet();
      if (jwksDelayMs > 0) {
        try {
          Thread.sleep(jwksDelayMs);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      respond(exchange.getResponseBody(), exchange, new JWKSet(new ArrayList<>(published)).toString(true));
    });
    server.start();
  }

  private static void respond(OutputStream out, com.sun.net.httpserver.HttpExchange exchange, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(200, bytes.length);
    out.write(bytes);
    out.close();
  }

  public String issuer() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/realms/roster";
  }

  /** The JWKS, as the openid-configuration names it. */
  public String jwksUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/jwks";
  }

  public int jwksRequests() {
    return jwksRequests.get();
  }

  /** A valid RS256 token for the subject with the given roles (Keycloak's realm_access form). */
  public String token(String subject, String... roles) {
    return sign(rsa, JWSAlgorithm.RS256, claims(subject, roles).build());
  }

  /** A valid ES256 token (Keycloak's realm_access form). */
  public String es256Token(String subject, String... roles) {
    return sign(ec, JWSAlgorithm.ES256, claims(subject, roles).build());
  }

  public JWTClaimsSet.Builder claims(String subject, String... roles) {
    return base(subject).claim("realm_access", Map.of("roles", List.of(roles)));
  }

  public JWTClaimsSet.Builder base(String subject) {
    Instant now = Instant.now();
    return new JWTClaimsSet.Builder().issuer(issuer()).subject(subject).audience(AUDIENCE)
        .issueTime(Date.from(now)).notBeforeTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(600)));
  }

  /** Signs arbitrary claims with the current RSA key. */
  public String sign(JWTClaimsSet claims) {
    return sign(rsa, JWSAlgorithm.RS256, claims);
  }

  /** Signs with a key that is not in the JWKS, under the given kid. */
  public static String signWithForeignKey(JWTClaimsSet claims, String kid) {
    try {
      RSAKey stranger = new RSAKeyGenerator(2048).keyID(kid).generate();
      return sign(stranger, JWSAlgorithm.RS256, claims);
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Key rotation: a new RSA key is published (the old one stays) and signs from now on. */
  public void rotate() {
    try {
      rsa = new RSAKeyGenerator(2048).keyID("rsa-" + UUID.randomUUID()).generate();
      published.add(rsa.toPublicJWK());
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** From now on the JWKS answers after this delay, so that a refresh stays in flight while requests pile up. */
  public void slowJwks(long delayMs) {
    jwksDelayMs = delayMs;
  }

  /** The issuer withdraws a key: its JWKS no longer publishes it. */
  public void withdraw(String kid) {
    published.removeIf(key -> key.getKeyID().equals(kid));
  }

  /** Makes the openid-configuration name another issuer than the one this server is. */
  public void discoveryNamesIssuer(String issuer) {
    discoveredIssuer = issuer;
  }

  public RSAKey rsaKey() {
    return rsa;
  }

  private static String sign(JWK key, JWSAlgorithm alg, JWTClaimsSet claims) {
    try {
      SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(key.getKeyID()).build(), claims);
      jwt.sign(key instanceof RSAKey r ? new RSASSASigner(r) : new ECDSASigner((ECKey) key));
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
