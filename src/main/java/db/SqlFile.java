package db;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Named statements from a class-path SQL file: a statement starts at a "-- name: x" line and runs to the next;
 * comment lines are dropped and the trailing semicolon removed. Read once, at class loading.
 */
public final class SqlFile {

  private final Map<String, String> statements;

  private SqlFile(Map<String, String> statements) {
    this.statements = statements;
  }

  public static SqlFile load(String resource) {
    try (InputStream in = SqlFile.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(resource + " is not on the class path");
      }
      Map<String, String> statements = new LinkedHashMap<>();
      String name = null;
      StringBuilder sql = new StringBuilder();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        String trimmed = line.trim();
        if (trimmed.startsWith("-- name:")) {
          put(statements, name, sql);
          name = trimmed.substring("-- name:".length()).trim();
          sql.setLength(0);
        } else if (!trimmed.startsWith("--") && !trimmed.isEmpty() && name != null) {
          sql.append(sql.length() == 0 ? "" : " ").append(trimmed);
        }
      }
      put(statements, name, sql);
      return new SqlFile(statements);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void put(Map<String, String> statements, String name, StringBuilder sql) {
    if (name != null) {
      String text = sql.toString().trim();
      statements.put(name, text.endsWith(";") ? text.substring(0, text.length() - 1) : text);
    }
  }

  public String get(String name) {
    String sql = statements.get(name);
    if (sql == null) {
      throw new IllegalArgumentException("no statement named " + name);
    }
    return sql;
  }
}
