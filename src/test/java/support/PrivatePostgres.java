package support;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL server of a test's own (initdb + pg_ctl from /usr/lib/postgresql/N/bin, the newest found), in a
 * temporary directory on a free port, trust auth, user postgres: a test may stop it and start it again without
 * touching the shared server. PostgreSQL refuses to run as root, so as root it runs as the {@code postgres} user
 * (runuser). {@link #available()} says whether this machine can do it.
 */
public final class PrivatePostgres implements AutoCloseable {

  private static final Path INSTALLATIONS = Path.of("/usr/lib/postgresql");

  private final Path bin;
  private final Path dir;
  private final int port;
  private final boolean asPostgresUser;

  private PrivatePostgres(Path bin, Path dir, int port, boolean asPostgresUser) {
    this.bin = bin;
    this.dir = dir;
    this.port = port;
    this.asPostgresUser = asPostgresUser;
  }

  /** Whether PostgreSQL's server binaries are installed here. */
  public static boolean available() {
    return newestBin() != null;
  }

  /** Creates the cluster and starts it. */
  public static PrivatePostgres start() {
    Path bin = newestBin();
    if (bin == null) {
      throw new IllegalStateException("no PostgreSQL under " + INSTALLATIONS);
    }
    try {
      boolean root = "root".equals(System.getProperty("user.name"));
      Path dir = Files.createTempDirectory("roster-pg-");
      PrivatePostgres pg = new PrivatePostgres(bin, dir, freePort(), root);
      if (root) {
        run(List.of("chown", "postgres:postgres", dir.toString()), false);
      }
      pg.pg("initdb", "-D", pg.data(), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8");
      pg.startAgain();
      return pg;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** postgresql:// URL of its maintenance database, as TestDatabase takes it. */
  public String adminUrl() {
    return "postgresql://postgres@127.0.0.1:" + port + "/postgres";
  }

  /** Starts the server (again), waiting until it accepts connections. */
  public void startAgain() {
    pg("pg_ctl", "-D", data(), "-l", dir.resolve("server.log").toString(), "-w", "-t", "60", "-o",
        "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off", "start");
  }

  /** Stops the server at once (fast shutdown: sessions are cut, as clients see a crashed or failed-over server). */
  public void stop() {
    pg("pg_ctl", "-D", data(), "-m", "fast", "-w", "-t", "60", "stop");
  }

  @Override
  public void close() {
    try {
      pg("pg_ctl", "-D", data(), "-m", "immediate", "-w", "stop");
    } catch (RuntimeException ignored) {
      // already stopped
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a temporary directory
    }
  }

  private String data() {
    return dir.resolve("data").toString();
  }

  private void pg(String tool, String... args) {
    List<String> command = new ArrayList<>();
    if (asPostgresUser) {
      command.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    command.add(bin.resolve(tool).toString());
    command.addAll(List.of(args));
    run(command, true);
  }

  private static void run(List<String> command, boolean check) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes());
      if (!process.waitFor(120, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException("timed out: " + command);
      }
      if (check && process.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed (" + process.exitValue() + "): " + output);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static Path newestBin() {
    if (!Files.isDirectory(INSTALLATIONS)) {
      return null;
    }
    try (Stream<Path> versions = Files.list(INSTALLATIONS)) {
      return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("pg_ctl")))
          .max(java.util.Comparator.comparing(b -> versionOf(b.getParent()))).orElse(null);
    } catch (IOException e) {
      return null;
    }
  }

  private static int versionOf(Path install) {
    try {
      return Integer.parseInt(install.getFileName().toString());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
