package validation;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.OutputErrorType;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.impl.Format;
import io.vertx.json.schema.impl.Utils;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The checkers a compiled schema is made of, one per keyword openapi.yaml uses on the compiled operations. Each
 * reports what vertx-json-schema 5.0.7 reports for its keyword (the same message, instance location and error
 * type), only on the instance types the interpreter checks it on; {@link SchemaCompiler} puts them in the
 * interpreter's order. The format rules themselves are the library's, called rather than rewritten, so a value
 * passes a format here exactly when it passes there.
 */
final class Keywords {

  private Keywords() {
  }

  /** One keyword's check of one instance. */
  interface Keyword {
    void check(Object instance, String location, List<OutputUnit> errors);
  }

  /** All the keywords of one schema object, in the interpreter's order. */
  static final class Node implements Schema {
    private final Keyword[] keywords;

    Node(List<Keyword> keywords) {
      this.keywords = keywords.toArray(new Keyword[0]);
    }

    @Override
    public OutputErrorType validate(Object instance, String location, List<OutputUnit> errors) {
      int before = errors.size();
      for (Keyword keyword : keywords) {
        keyword.check(instance, location, errors);
      }
      return errors.size() == before ? null : errors.get(before).getErrorType();
    }
  }

  static OutputUnit error(String location, String keywordPath, String message, OutputErrorType type) {
    return new OutputUnit(location, null, keywordPath, message, type);
  }

  /** {@code type}: one name or a list of names; an integral number is an {@code integer}. */
  record Type(Set<String> names, String expected, String path) implements Keyword {
    @Override
    public void check(Object instance, String location, List<OutputUnit> errors) {
      String actual = typeOf(instance);
      if (names.contains(actual) || (names.contains("integer") && "number".equals(actual) && isInteger(instance))) {
        return;
      }
      errors.add(error(location, path, "Instance type " + actual + " is invalid. Expected " + expected,
          OutputErrorType.INVALID_VALUE));
    }
  }

  /** {@code enum} of strings. */
  record Enum(Set<String> values, String message, String path) implements Keyword {
    @Override
    public void check(Object instance, String location, List<OutputUnit> errors) {
      if (!(instance instanceof String s && values.contains(s))) {
        errors.add(error(location, path, message, OutputErrorType.INVALID_VALUE));
      }
    }
  }

  /** {@code required}, on objects. */
  record Required(List<String> names, String path) implements Keyword {
    @Override
    public void check(Object instance, String location, List<OutputUnit> errors) {
      if (instance instanceof JsonObject object) {
        for (String name : names) {
          if (!object.containsKey(name)) {
            errors.add(error(location, path, "Instance does not have required property \"" + name + "\"",
                OutputErrorType.MISSING_VALUE));
          }
        }
      }
    }
  }

  /**
   * {@code properties} and {@code additionalProperties} together, on objects: as in the interpreter, a declared
   * property whose value fails its schema is also checked against {@code additionalProperties} (ProblemHandler
   * keeps the specific message). {@code additional} is null when the schema has no {@code additionalProperties}.
   */
  record Properties(Map<String, Schema> properties, Map<String, String> pointers, Schema additional, String path)
      implements Keyword {
    @Override
    public void check(Object instance, String location, List<OutputUnit> errors) {
      if (!(instance instanceof JsonObject object)) {
        return;
      }
      Set<String> valid = additional == null ? null : new HashSet<>();
      for (Map.Entry<String, Schema> property : properties.entrySet()) {
        String name = property.getKey();
        if (!object.containsKey(name)) {
          continue;
        }
        String at = location + "/" + pointers.get(name);
        int wrapper = errors.size();
        OutputErrorType failed = property.getValue().validate(object.getValue(name), at, errors);
        if (failed == null) {
          if (valid != null) {
            valid.add(name);
          }
        } else {
          errors.add(wrapper, error(at, path + "/properties", "Property \"" + name + "\" does not match schema", failed));
        }
      }
      if (additional == null) {
        return;
      }
      for (String name : object.fieldNames()) {
        if (valid.contains(name)) {
          continue;
        }
        String at = location + "/" + Utils.Pointers.encode(name);
        int wrapper = errors.size();
        OutputErrorType failed = additional.validate(object.getValue(name), at, errors);
        if (failed != null) {
          errors.add(wrapper, error(at, path + "/additionalProperties",
              "Property \"" + name + "\" does not match additional properties schema", failed));
        }
      }
    }
  }

  /** {@code minimum}, on numbers. */
  record Minimum(Number bound, String path) implements Keyword {
    @Override
    public void check(Object instance, String location, List<OutputUnit> errors) {
      if (instance instanceof Number n && less(n, bound)) {
        errors.add(error(location, path, n + " is less than " + bound, OutputErrorType.INVALID_VALUE));
      }
    }
  }

  /** {@code maximum}, on numbers. */
  record Maximum(Number bound, String path) implements Keyword {
    @Override
    public void check(Object instance, String location, List<OutputUnit> errors) {
      if (instance instanceof Number n && less(bound, n)) {
        errors.add(error(location, path, n + " is greater than " + bound, OutputErrorType.INVALID_VALUE));
      }
    }
  }

  /** {@code minLength}, on strings, in code points (a lone surrogate counts as one). */
  record MinLength(Number bound, String path) implements Keyword {
    @Override
    public void check(Object instance, String location, List<OutputUnit> errors) {
      if (instance instanceof String s) {
        int length = s.codePointCount(0, s.length());
        if (length < bound.doubleValue()) {
          errors.add(error(location, path, "String is too short (" + length + " < " + bound + ")",
              OutputErrorType.INVALID_VALUE));
        }
      }
    }
  }

  /** {@code maxLength}, on strings. */
  record MaxLength(Number bound, String path) implements Keyword {
    @Override
    public void check(Object instance, String location, List<OutputUnit> errors) {
      if (instance instanceof String s) {
        int length = s.codePointCount(0, s.length());
        if (length > bound.doubleValue()) {
          errors.add(error(location, path, "String is too long (" + length + " > " + bound + ")",
              OutputErrorType.INVALID_VALUE));
        }
      }
    }
  }

  /** {@code pattern}, on strings: a match anywhere, as the interpreter's {@code find()}; compiled once. */
  record Matches(Pattern pattern, String path) implements Keyword {
    @Override
    public void check(Object instance, String location, List<OutputUnit> errors) {
      if (instance instanceof String s && !pattern.matcher(s).find()) {
        errors.add(error(location, path, "String does not match pattern", OutputErrorType.INVALID_VALUE));
      }
    }
  }

  /**
   * {@code format}, on strings, by the library's own rule for that format; for {@code uuid} only the 36 characters
   * every handler can parse: the library's rule also takes a {@code urn:uuid:} prefix and a final line break, which
   * the interpreter lets through to a handler that then fails with a 500.
   */
  record Formatted(String format, String message, String path) implements Keyword {
    @Override
    public void check(Object instance, String location, List<OutputUnit> errors) {
      if (instance instanceof String s && (!Format.fastFormat(format, s) || "uuid".equals(format) && s.length() != 36)) {
        errors.add(error(location, path, message, OutputErrorType.INVALID_VALUE));
      }
    }
  }

  /** The JSON type name of a decoded value. */
  static String typeOf(Object instance) {
    if (instance == null) {
      return "null";
    }
    if (instance instanceof Boolean) {
      return "boolean";
    }
    if (instance instanceof Number) {
      return "number";
    }
    if (instance instanceof String) {
      return "string";
    }
    if (instance instanceof JsonObject || instance instanceof Map) {
      return "object";
    }
    if (instance instanceof JsonArray || instance instanceof List) {
      return "array";
    }
    throw new IllegalArgumentException("not a JSON value: " + instance.getClass());
  }

  /** A number without a fractional part (2.0 is an integer, as JSON Schema says). */
  static boolean isInteger(Object instance) {
    if (instance instanceof Integer || instance instanceof Long || instance instanceof BigInteger
        || instance instanceof Short || instance instanceof Byte) {
      return true;
    }
    if (instance instanceof Double d) {
      return d % 1 == 0.0;
    }
    if (instance instanceof Float f) {
      return f % 1 == 0.0f;
    }
    return instance instanceof BigDecimal b && b.remainder(BigDecimal.ONE).equals(BigDecimal.ZERO);
  }

  /** a &lt; b: exactly for big numbers, by doubles otherwise, as the interpreter compares. */
  static boolean less(Number a, Number b) {
    if (a instanceof BigDecimal || a instanceof BigInteger || b instanceof BigDecimal || b instanceof BigInteger) {
      return big(a).compareTo(big(b)) < 0;
    }
    return a.doubleValue() < b.doubleValue();
  }

  private static BigDecimal big(Number n) {
    if (n instanceof BigDecimal b) {
      return b;
    }
    if (n instanceof BigInteger b) {
      return new BigDecimal(b);
    }
    if (n instanceof Double || n instanceof Float) {
      return BigDecimal.valueOf(n.doubleValue());
    }
    return BigDecimal.valueOf(n.longValue());
  }
}
