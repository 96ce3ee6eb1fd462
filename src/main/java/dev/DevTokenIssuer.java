package dev;

import auth.RolesClaim;
import config.AppConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Base64;
import java.util.UUID;

/**
 * start-dev's token issuer: an RSA key generated at start (and gone when the process ends), its public
 * half handed to the verifier as the JWKS, and RS256 tokens signed with it. Production never trusts it.
 */
final class DevTokenIssuer {

  private final String kid = "dev-" + UUID.randomUUID().toString().substring(0, 8);
  private final KeyPair keys;

  private DevTokenIssuer(KeyPair keys) {
    this.keys = keys;
  }

  /** Blocking (key generation): call on a worker thread. */
  static DevTokenIssuer generate() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      return new DevTokenIssuer(generator.generateKeyPair());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  JsonObject publicJwk() {
    RSAPublicKey key = (RSAPublicKey) keys.getPublic();
    return new JsonObject().put("kty", "RSA").put("use", "sig").put("alg", "RS256").put("kid", kid)
        .put("n", base64Url(key.getModulus())).put("e", base64Url(key.getPublicExponent()));
  }

  JsonArray jwks() {
    return new JsonArray().add(publicJwk());
  }

  /** Roles go where the verifier reads them ({@code oidc.rolesClaim}), as the real issuer would put them. */
  String token(Vertx vertx, String subject, String role, String audience, RolesClaim roles, int ttlHours) {
    String pem = "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(keys.getPrivate().getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
    JWTAuth signer = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("RS256").setBuffer(pem).setId(kid)));
    JWTOptions options = new JWTOptions().setAlgorithm("RS256").setIssuer(AppConfig.DEV_ISSUER).setSubject(subject)
        .setExpiresInSeconds(ttlHours * 3600);
    if (audience != null && !audience.isBlank()) {
      options.addAudience(audience);
    }
    return signer.generateToken(roles.put(new JsonObject(), java.util.Set.of(role)), options);
  }

  private static String base64Url(BigInteger value) {
    byte[] bytes = value.toByteArray();
    if (bytes.length > 1 && bytes[0] == 0) {
      bytes = Arrays.copyOfRange(bytes, 1, bytes.length);
    }
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
