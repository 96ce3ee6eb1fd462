import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Base64;
import java.util.UUID;
import java.util.stream.IntStream;

/**
 * Mints the benchmark's tokens without any dependency: an RSA key pair, its JWKS, and one RS256 JWT per
 * member, exactly as an OpenID Connect provider would issue them.
 *
 * <pre>java bench/TokenMint.java DIR COUNT ISSUER [ADMINS]</pre>
 *
 * writes DIR/jwks.json (the public key, served to the service as its JWKS) and DIR/tokens.txt, whose line i
 * (1-based) is the token of subject {@code bench-i}: role {@code member}, issuer ISSUER, valid for 2 hours.
 * With ADMINS, DIR/admins.txt gets as many tokens of role {@code admin}, subjects {@code bench-admin-i} (linked
 * to no member), for the admin-only lists.
 */
public final class TokenMint {

  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  public static void main(String[] args) throws Exception {
    if (args.length < 3 || args.length > 4) {
      System.err.println("usage: java bench/TokenMint.java DIR COUNT ISSUER [ADMINS]");
      System.exit(2);
    }
    Path dir = Path.of(args[0]);
    int count = Integer.parseInt(args[1]);
    String issuer = args[2];
    int admins = args.length == 4 ? Integer.parseInt(args[3]) : 0;
    Files.createDirectories(dir);

    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    KeyPair pair = generator.generateKeyPair();
    RSAPublicKey pub = (RSAPublicKey) pair.getPublic();
    String kid = "bench-" + UUID.randomUUID().toString().substring(0, 8);

    String jwks = "{\"keys\":[{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\",\"kid\":\"" + kid + "\",\"n\":\""
        + B64.encodeToString(unsigned(pub.getModulus())) + "\",\"e\":\""
        + B64.encodeToString(unsigned(pub.getPublicExponent())) + "\"}]}";
    Files.writeString(dir.resolve("jwks.json"), jwks + "\n");

    String header = b64("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"" + kid + "\"}");
    long now = System.currentTimeMillis() / 1000;
    long exp = now + 2 * 3600;
    PrivateKey key = pair.getPrivate();
    // Signing is the slow part (about a millisecond each): spread it over the cores, keep the order.
    String[] tokens = new String[count];
    IntStream.range(0, count).parallel().forEach(i -> {
      tokens[i] = token(key, header, claims(issuer, "bench-" + (i + 1), "member", now, exp));
    });
    Files.writeString(dir.resolve("tokens.txt"), String.join("\n", tokens) + "\n");
    if (admins > 0) {
      String[] adminTokens = new String[admins];
      for (int i = 0; i < admins; i++) {
        adminTokens[i] = token(key, header, claims(issuer, "bench-admin-" + (i + 1), "admin", now, exp));
      }
      Files.writeString(dir.resolve("admins.txt"), String.join("\n", adminTokens) + "\n");
    }
    System.out.println("minted " + count + " tokens (kid " + kid + ") in " + dir);
  }

  private static String claims(String issuer, String subject, String role, long now, long exp) {
    return "{\"iss\":\"" + issuer + "\",\"sub\":\"" + subject + "\",\"aud\":\"roster-bench\","
        + "\"realm_access\":{\"roles\":[\"" + role + "\"]},"
        + "\"iat\":" + now + ",\"nbf\":" + (now - 60) + ",\"exp\":" + exp + "}";
  }

  private static String token(PrivateKey key, String header, String claims) {
    String signingInput = header + "." + b64(claims);
    return signingInput + "." + B64.encodeToString(sign(key, signingInput));
  }

  private static byte[] sign(PrivateKey key, String input) {
    try {
      Signature signature = Signature.getInstance("SHA256withRSA");
      signature.initSign(key);
      signature.update(input.getBytes(StandardCharsets.US_ASCII));
      return signature.sign();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String b64(String json) {
    return B64.encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  /** JWK integers are unsigned big-endian: drop the sign byte BigInteger may add. */
  private static byte[] unsigned(BigInteger value) {
    byte[] bytes = value.toByteArray();
    return bytes.length > 1 && bytes[0] == 0 ? Arrays.copyOfRange(bytes, 1, bytes.length) : bytes;
  }

  private TokenMint() {
  }
}
