package db;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The SQL a compiled code base can issue, read from its class files: every string literal is in a class's constant
 * pool, including the recipe of a string concatenated at run time ({@code "UPDATE t SET " + column + " = 1"} is the
 * recipe {@code "UPDATE t SET \u0001 = 1"}, one {@code \u0001} per value inserted). Constants concatenated with
 * constants are folded by javac, so a statement built from constant pieces is found whole.
 */
final class SqlStrings {

  /** A statement's start: what a string must begin with to be taken for SQL. */
  private static final Pattern STATEMENT = Pattern.compile("^\\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\\s.*", Pattern.DOTALL);

  /** Where a value is inserted into a concatenation recipe (\u0002: a constant javac did not inline). */
  static final Pattern HOLE = Pattern.compile("[\u0001\u0002]");

  /** A SQL string and the class it is in. */
  record Found(String className, String text) {
    boolean dynamic() {
      return HOLE.matcher(text).find();
    }

    /** Whether {@code sql} is what this recipe gives with some values in its holes. */
    boolean builds(String sql) {
      StringBuilder regex = new StringBuilder();
      for (String part : HOLE.split(text, -1)) {
        regex.append(regex.length() == 0 ? "" : "(.+?)").append(Pattern.quote(part));
      }
      return Pattern.compile(regex.toString(), Pattern.DOTALL).matcher(sql).matches();
    }
  }

  private SqlStrings() {
  }

  /** The SQL strings of every class under {@code classes} (a class-path directory), in a stable order. */
  static List<Found> in(Path classes) {
    List<Found> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(classes)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".class")).sorted().toList()) {
        String className = classes.relativize(file).toString().replace(".class", "").replace('/', '.');
        for (String s : stringConstants(Files.readAllBytes(file))) {
          if (STATEMENT.matcher(s).matches()) {
            found.add(new Found(className, s));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return found;
  }

  /** The CONSTANT_String entries of a class file's constant pool (JVMS 4.4), in pool order. */
  static List<String> stringConstants(byte[] classFile) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(classFile));
    if (in.readInt() != 0xCAFEBABE) {
      throw new IOException("not a class file");
    }
    in.readUnsignedShort(); // minor
    in.readUnsignedShort(); // major
    int count = in.readUnsignedShort();
    String[] utf8 = new String[count];
    List<Integer> strings = new ArrayList<>();
    for (int i = 1; i < count; i++) {
      int tag = in.readUnsignedByte();
      switch (tag) {
        case 1 -> utf8[i] = in.readUTF(); // the class file's modified UTF-8 is DataInput's
        case 8 -> strings.add(in.readUnsignedShort());
        case 7, 16, 19, 20 -> in.skipBytes(2);
        case 15 -> in.skipBytes(3);
        case 3, 4, 9, 10, 11, 12, 17, 18 -> in.skipBytes(4);
        case 5, 6 -> {
          in.skipBytes(8);
          i++; // a long or double takes two entries
        }
        default -> throw new IOException("unknown constant pool tag " + tag + " at entry " + i);
      }
    }
    return strings.stream().map(index -> utf8[index]).toList();
  }
}
