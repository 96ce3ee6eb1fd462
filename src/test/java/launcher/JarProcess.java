package launcher;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The service's jar run as a separate process, the way the README runs it. PostgreSQL refuses to run
 * as root, so when the tests run as root (CI here) the process runs as `nobody`, from a copy of the
 * jar in a directory that user can read.
 */
final class JarProcess implements AutoCloseable {

  private final Process process;
  private final List<String> output = new ArrayList<>();
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final Path workDir;

  private JarProcess(Process process, Path workDir) {
    this.process = process;
    this.workDir = workDir;
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          lines.add(line);
        }
      } catch (IOException ignored) {
        // process ended
      }
    }, "jar-output");
    reader.setDaemon(true);
    reader.start();
  }

  static JarProcess start(Map<String, String> environment, String... args) throws IOException {
    Path jar = Path.of(System.getProperty("roster.jar", "target/roster-service.jar")).toAbsolutePath();
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " is missing: run `mvn verify` (the jar is built in `package`)");
    }
    Path dir = Files.createTempDirectory("roster-jar-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    Path copy = Files.copy(jar, dir.resolve("roster-service.jar"), StandardCopyOption.REPLACE_EXISTING);
    Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));

    List<String> command = new ArrayList<>();
    if ("root".equals(System.getProperty("user.name"))) {
      command.addAll(List.of("runuser", "-u", "nobody", "--"));
    }
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Djava.io.tmpdir=" + dir);
    command.add("-Djava.net.preferIPv4Stack=true");
    command.add("-jar");
    command.add(copy.toString());
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
    builder.environment().keySet().removeIf(k -> k.startsWith("ROSTER_"));
    builder.environment().putAll(environment);
    return new JarProcess(builder.start(), dir);
  }

  /** Another way of running the service (the container image's entrypoint, say), with exactly this environment. */
  static JarProcess run(List<String> command, Map<String, String> environment, Path workDir) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
    builder.environment().clear();
    builder.environment().putAll(environment);
    return new JarProcess(builder.start(), workDir);
  }

  /** Reads output until a line matches, or fails after the timeout. */
  String awaitLine(Predicate<String> match, Duration timeout) throws InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      String line = lines.poll(200, TimeUnit.MILLISECONDS);
      if (line != null) {
        output.add(line);
        if (match.test(line)) {
          return line;
        }
      } else if (!process.isAlive() && lines.isEmpty()) {
        break;
      }
    }
    throw new AssertionError("no matching line within " + timeout + "; output so far:\n" + String.join("\n", output));
  }

  List<String> output() {
    lines.drainTo(output);
    return output;
  }

  int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("process still running after " + timeout + ":\n" + String.join("\n", output()));
    }
    Thread.sleep(200);
    return process.exitValue();
  }

  /** The JVM's pid (with runuser in between, the JVM is a child of the process we started). */
  long jvmPid() {
    return process.descendants().filter(p -> p.info().command().map(c -> c.endsWith("java")).orElse(false))
        .findFirst().map(ProcessHandle::pid).orElse(process.pid());
  }

  /** Sends a signal (KILL, STOP, CONT) to the JVM, as an operator or a crash would. */
  void signal(String name) throws IOException, InterruptedException {
    int exit = new ProcessBuilder("kill", "-" + name, String.valueOf(jvmPid())).inheritIO().start().waitFor();
    if (exit != 0) {
      throw new IllegalStateException("kill -" + name + " failed");
    }
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Every process it started (the embedded PostgreSQL among them). */
  List<ProcessHandle> descendants() {
    return process.descendants().toList();
  }

  /**
   * SIGTERM to the JVM, as ops stop it; waits for it to exit. Only the JVM is signalled: runuser, when in between,
   * would pass the signal on and SIGKILL the JVM two seconds later, cutting its drain short; it exits with the JVM.
   */
  int stop(Duration timeout) throws InterruptedException {
    List<ProcessHandle> children = descendants();
    ProcessHandle jvm = process.descendants().filter(p -> p.info().command().map(c -> c.endsWith("java")).orElse(false))
        .findFirst().orElse(process.toHandle());
    jvm.destroy();
    int code = awaitExit(timeout);
    for (ProcessHandle child : children) {
      child.onExit().toCompletableFuture().orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).join();
    }
    return code;
  }

  /** Prints the last lines of the output under a title (what a reader of a failed run wants first), then closes. */
  void closeShowingLast(int count, String title) {
    List<String> log = output();
    System.out.println(title);
    log.subList(Math.max(0, log.size() - count), log.size()).forEach(l -> System.out.println("  " + l));
    close();
  }

  @Override
  public void close() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    try {
      try (var files = Files.walk(workDir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    } catch (IOException ignored) {
      // temp files
    }
  }
}
