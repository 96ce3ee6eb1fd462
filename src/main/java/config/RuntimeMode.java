package config;

/** {@code start} is production; {@code start-dev} brings its own database and token issuer. */
public enum RuntimeMode {
  PRODUCTION, DEVELOPMENT
}
