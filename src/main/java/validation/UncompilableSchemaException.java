package validation;

/** A schema of a compiled operation uses a keyword the compiled validator does not know: the service does not start. */
public final class UncompilableSchemaException extends IllegalStateException {

  UncompilableSchemaException(String message) {
    super(message);
  }
}
