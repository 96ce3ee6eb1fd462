package config;

/** A configuration problem the operator must fix; its message is the one line the launcher prints. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message, null, false, false);
  }
}
