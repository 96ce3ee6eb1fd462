package auth;

import config.AppConfig;
import db.Database;
import db.Migrations;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import support.TestDatabase;
import support.TestIssuer;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;

/**
 * What a node's HTTP verticles share, built the way MainVerticle builds it, on a fresh migrated database and a test
 * issuer: the keys, the verified-token cache, the member links (on the service's own links client).
 */
final class AuthFixture implements AutoCloseable {

  final Vertx vertx = Vertx.vertx();
  final TestDatabase db;
  final TestIssuer issuer = new TestIssuer();
  final AppConfig config;
  final JwksCache keys;
  final VerifiedTokenCache verifiedTokens = new VerifiedTokenCache(16 << 20);
  final MemberLinks links;

  AuthFixture(String label) {
    db = TestDatabase.create(label);
    config = new AppConfig(new JsonObject().put("pg", new JsonObject().put("url", db.url())));
    await(Migrations.run(vertx, config));
    keys = new JwksCache(JwksSource.fixed(new JsonArray()
        .add(new JsonObject(issuer.rsaKey().toPublicJWK().toJSONObject()))), 30);
    await(keys.refresh());
    links = new MemberLinks(Database.linksClient(vertx, config), new members.MemberRepository());
  }

  /** A verifier as one HTTP verticle has it: its own, over the shared keys and cache. */
  TokenVerifier verifier() {
    return new TokenVerifier(vertx, keys, verifiedTokens, issuer.issuer(), TestIssuer.AUDIENCE, 30);
  }

  /** Inserts a member carrying this subject; @return its id */
  String link(String subject) {
    try (Connection c = db.connect(); PreparedStatement st = c.prepareStatement(
        "INSERT INTO members (email, name, role, subject) VALUES (?, ?, 'member', ?) RETURNING id")) {
      st.setString(1, subject + "@example.com");
      st.setString(2, "Member " + subject);
      st.setString(3, subject);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    issuer.close();
    try {
      await(vertx.close());
    } finally {
      db.drop();
    }
  }
}
