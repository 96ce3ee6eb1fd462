package support;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Google's OAuth2 token endpoint for tests, as a service account meets it: a real HTTP server (Vert.x) that takes
 * the JWT-bearer grant, verifies the assertion's RS256 signature with the service account's public key and its
 * claims (issuer, audience, FCM scope, expiry), and answers an access token with the {@code expires_in} the test
 * chooses. It writes the service-account key file (a fresh RSA key, {@code token_uri} pointing here) and knows
 * which tokens it issued, so an FCM stand-in can check a bearer token.
 */
public final class GoogleTokenEndpoint implements AutoCloseable {

  public static final String CLIENT_EMAIL = "roster-push@roster-push-test.iam.gserviceaccount.com";
  public static final String PROJECT_ID = "roster-push-test";
  public static final String SCOPE = "https://www.googleapis.com/auth/firebase.messaging";

  private final Vertx vertx = Vertx.vertx();
  private final KeyPair keys;
  private final HttpServer server;
  private final AtomicInteger requests = new AtomicInteger();
  private final List<String> refusals = new CopyOnWriteArrayList<>();
  /** Issued token → when it expires (epoch ms). */
  private final Map<String, Long> issued = new ConcurrentHashMap<>();
  private final Set<String> revoked = ConcurrentHashMap.newKeySet();
  private volatile int expiresInSeconds = 3600;
  private volatile boolean down;

  public GoogleTokenEndpoint() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      keys = generator.generateKeyPair();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    server = LoopbackServer.start(vertx, this::handle);
  }

  private void handle(HttpServerRequest request) {
    request.body().onSuccess(body -> {
      requests.incrementAndGet();
      if (down) {
        // echoing the request, as a proxy's error page may: the signed grant must not reach a log from here
        request.response().setStatusCode(503).putHeader("Content-Type", "application/json")
            .end(new JsonObject().put("error", "unavailable").put("request", body.toString()).encode());
        return;
      }
      String refusal = refusalOf(request.path(), body.toString());
      if (refusal != null) {
        refusals.add(refusal);
        request.response().setStatusCode(400).putHeader("Content-Type", "application/json")
            .end(new JsonObject().put("error", "invalid_grant").put("error_description", refusal).encode());
        return;
      }
      String token = "ya29.test-" + UUID.randomUUID();
      issued.put(token, System.currentTimeMillis() + expiresInSeconds * 1000L);
      request.response().putHeader("Content-Type", "application/json").end(new JsonObject()
          .put("access_token", token).put("expires_in", expiresInSeconds).put("token_type", "Bearer").encode());
    });
  }

  /** Why the grant is refused, or null: the signature must be the key file's, the claims Google's. */
  private String refusalOf(String path, String form) {
    if (!path.equals("/token")) {
      return "unknown path " + path;
    }
    Map<String, String> fields = new java.util.HashMap<>();
    for (String pair : form.split("&")) {
      String[] kv = pair.split("=", 2);
      fields.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
          kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
    }
    if (!"urn:ietf:params:oauth:grant-type:jwt-bearer".equals(fields.get("grant_type"))) {
      return "grant_type " + fields.get("grant_type");
    }
    try {
      SignedJWT jwt = SignedJWT.parse(fields.get("assertion"));
      if (!JWSAlgorithm.RS256.equals(jwt.getHeader().getAlgorithm())) {
        return "alg " + jwt.getHeader().getAlgorithm();
      }
      if (!jwt.verify(new RSASSAVerifier((RSAPublicKey) keys.getPublic()))) {
        return "bad signature";
      }
      JWTClaimsSet claims = jwt.getJWTClaimsSet();
      if (!CLIENT_EMAIL.equals(claims.getIssuer())) {
        return "iss " + claims.getIssuer();
      }
      // the library addresses its grant to Google's token endpoint, whatever token_uri it posts it to
      if (!claims.getAudience().contains("https://oauth2.googleapis.com/token")) {
        return "aud " + claims.getAudience();
      }
      if (!SCOPE.equals(claims.getStringClaim("scope"))) {
        return "scope " + claims.getStringClaim("scope");
      }
      if (claims.getExpirationTime() == null || claims.getExpirationTime().before(new Date())) {
        return "expired assertion";
      }
      return null;
    } catch (Exception e) {
      return "unreadable assertion: " + e.getMessage();
    }
  }

  public String tokenUri() {
    return "http://127.0.0.1:" + server.actualPort() + "/token";
  }

  /** Writes a service-account key file for this endpoint's key into {@code dir}; returns its path. */
  public Path writeKeyFile(Path dir) {
    String pem = "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(keys.getPrivate().getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
    JsonObject file = new JsonObject().put("type", "service_account").put("project_id", PROJECT_ID)
        .put("private_key_id", "test-key-1").put("private_key", pem).put("client_email", CLIENT_EMAIL)
        .put("client_id", "100000000000000000001").put("token_uri", tokenUri());
    try {
      Path path = dir.resolve("service-account-" + UUID.randomUUID() + ".json");
      Files.writeString(path, file.encodePrettily());
      return path;
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The private key as the key file holds it, base64 (for checks that it never reaches a log). */
  public String privateKeyBase64() {
    return Base64.getEncoder().encodeToString(keys.getPrivate().getEncoded());
  }

  /** Token requests received, answered or not. */
  public int requests() {
    return requests.get();
  }

  /** Grants refused (a bad signature, wrong claims): none is expected. */
  public List<String> refusals() {
    return List.copyOf(refusals);
  }

  /** Lifetime of the tokens issued from now on. */
  public void expiresIn(int seconds) {
    expiresInSeconds = seconds;
  }

  /** Down: every request is answered 503 until it is back. */
  public void down(boolean down) {
    this.down = down;
  }

  /** What FCM would say of this bearer token: issued here, not expired, not revoked. */
  public boolean accepts(String token) {
    Long expires = issued.get(token);
    return expires != null && expires > System.currentTimeMillis() && !revoked.contains(token);
  }

  /** Every token issued so far stops being accepted (as when Google revokes a key). */
  public void revokeAll() {
    revoked.addAll(issued.keySet());
  }

  public Set<String> issued() {
    return Set.copyOf(issued.keySet());
  }

  @Override
  public void close() {
    vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
  }
}
