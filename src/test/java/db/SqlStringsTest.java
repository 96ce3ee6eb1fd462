package db;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The constant-pool reader behind QueryPlansTest finds literals, folded constants and run-time recipes. */
class SqlStringsTest {

  /** Compiled by the same javac as the main classes: its strings are stored as theirs are. */
  static final class Sample {
    private static final String COLUMNS = "id, name";
    static final long SOME_LONG = 1L << 40; // takes two constant-pool entries

    static String byId() {
      return "SELECT " + COLUMNS + " FROM t WHERE id = $1";
    }

    static String set(String column) {
      return "UPDATE t SET " + column + " = $2 WHERE id = $1";
    }
  }

  @Test
  void readsLiteralsFoldedConstantsAndRecipes() throws IOException {
    byte[] classFile;
    try (InputStream in = Sample.class.getResourceAsStream("SqlStringsTest$Sample.class")) {
      classFile = in.readAllBytes();
    }
    assertThat(SqlStrings.stringConstants(classFile))
        .contains("SELECT id, name FROM t WHERE id = $1", "UPDATE t SET \u0001 = $2 WHERE id = $1");
  }

  @Test
  void aRecipeMatchesWhatItBuildsOnly() {
    SqlStrings.Found recipe = new SqlStrings.Found("Sample", "UPDATE t SET \u0001 = $2 WHERE id = $1");
    assertThat(recipe.dynamic()).isTrue();
    assertThat(recipe.builds(Sample.set("name"))).isTrue();
    assertThat(recipe.builds("UPDATE t SET name = $2 WHERE id = $1 OR true")).isFalse();
    assertThat(new SqlStrings.Found("Sample", "SELECT 1").dynamic()).isFalse();
  }
}
