package support;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;

/**
 * A fresh, empty database per test class, on the first PostgreSQL found of: the one ROSTER_TEST_PG_URL
 * names; a Testcontainers PostgreSQL when a Docker engine is present; the local server on 127.0.0.1:5432
 * (this project's CI machines); else an embedded PostgreSQL, so a laptop with only Java and Maven runs
 * the tests too.
 */
public final class TestDatabase {

  private static PostgreSQLContainer container;

  private final String adminUrl;
  private final String name;

  private TestDatabase(String adminUrl, String name) {
    this.adminUrl = adminUrl;
    this.name = name;
  }

  public static TestDatabase create(String label) {
    return create(serverUrl(), label);
  }

  /** A fresh database on the server at {@code adminUrl} (e.g. a private PostgreSQL a test stops and starts). */
  public static TestDatabase create(String adminUrl, String label) {
    String name = ("roster_" + label + "_" + UUID.randomUUID().toString().substring(0, 8))
        .toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    TestDatabase db = new TestDatabase(adminUrl, name);
    db.execute("CREATE DATABASE " + name);
    return db;
  }

  /** postgresql:// URL of this database, as ROSTER_PG_URL takes it. */
  public String url() {
    URI server = URI.create(adminUrl);
    return server.getScheme() + "://" + server.getRawAuthority() + "/" + name;
  }

  /** JDBC access for assertions on rows. */
  public Connection connect() throws SQLException {
    URI server = URI.create(adminUrl);
    String userInfo = server.getUserInfo() == null ? "postgres" : server.getUserInfo();
    String[] user = userInfo.split(":", 2);
    return DriverManager.getConnection("jdbc:postgresql://" + server.getHost() + ":" + server.getPort() + "/" + name,
        user[0], user.length > 1 ? user[1] : "");
  }

  public long count(String sql, Object... params) {
    try (Connection c = connect(); var st = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        st.setObject(i + 1, params[i]);
      }
      try (var rs = st.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The first column of every row, as text. */
  public java.util.List<String> strings(String sql, Object... params) {
    try (Connection c = connect(); var st = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        st.setObject(i + 1, params[i]);
      }
      java.util.List<String> out = new java.util.ArrayList<>();
      try (var rs = st.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  public void update(String sql, Object... params) {
    try (Connection c = connect(); var st = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        st.setObject(i + 1, params[i]);
      }
      st.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  public void drop() {
    execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  }

  private void execute(String sql) {
    URI server = URI.create(adminUrl);
    String userInfo = server.getUserInfo() == null ? "postgres" : server.getUserInfo();
    String[] user = userInfo.split(":", 2);
    String jdbc = "jdbc:postgresql://" + server.getHost() + ":" + server.getPort() + server.getPath();
    try (Connection c = DriverManager.getConnection(jdbc, user[0], user.length > 1 ? user[1] : "");
         Statement st = c.createStatement()) {
      st.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot run '" + sql + "' on " + jdbc, e);
    }
  }

  private static synchronized String serverUrl() {
    String configured = System.getenv("ROSTER_TEST_PG_URL");
    if (configured != null && !configured.isBlank()) {
      return configured;
    }
    if (dockerAvailable()) {
      if (container == null) {
        container = new PostgreSQLContainer("postgres:15-alpine");
        container.start();
      }
      return "postgresql://" + container.getUsername() + ":" + container.getPassword() + "@" + container.getHost()
          + ":" + container.getMappedPort(5432) + "/" + container.getDatabaseName();
    }
    if (reachable("127.0.0.1", 5432)) {
      return "postgresql://postgres@127.0.0.1:5432/postgres";
    }
    // A laptop with neither Docker nor PostgreSQL: the same embedded PostgreSQL that start-dev uses.
    if (embedded == null) {
      try {
        embedded = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder().start();
      } catch (java.io.IOException e) {
        throw new IllegalStateException("no PostgreSQL for the tests: set ROSTER_TEST_PG_URL", e);
      }
    }
    return "postgresql://postgres:postgres@127.0.0.1:" + embedded.getPort() + "/postgres";
  }

  private static io.zonky.test.db.postgres.embedded.EmbeddedPostgres embedded;

  private static boolean reachable(String host, int port) {
    try (java.net.Socket socket = new java.net.Socket()) {
      socket.connect(new java.net.InetSocketAddress(host, port), 500);
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  static boolean dockerAvailable() {
    boolean hinted = System.getenv("DOCKER_HOST") != null
        || java.nio.file.Files.exists(java.nio.file.Path.of("/var/run/docker.sock"));
    if (!hinted) {
      return false;
    }
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (Throwable e) {
      return false;
    }
  }
}
