package validation;

import io.vertx.json.schema.OutputErrorType;
import io.vertx.json.schema.OutputUnit;

import java.util.List;

/**
 * One schema of openapi.yaml, compiled by {@link SchemaCompiler}: it appends to {@code errors} what
 * vertx-json-schema's interpreter would report for the same instance, in the same order and with the same words,
 * so ProblemHandler turns both into the same problem+json.
 */
interface Schema {

  /** The boolean schema {@code true} (e.g. {@code additionalProperties: true}): every instance is valid. */
  Schema TRUE = (instance, location, errors) -> null;

  /** The boolean schema {@code false} (e.g. {@code additionalProperties: false}): invalid, with no error of its own. */
  Schema FALSE = (instance, location, errors) -> OutputErrorType.INVALID_VALUE;

  /**
   * @param instance a decoded JSON value (JsonObject, JsonArray, String, Number, Boolean or null)
   * @param location the instance's JSON pointer as the interpreter writes it: {@code #} for the root,
   *                 {@code #/eventId} for a property
   * @return null when the instance is valid, else the type of the first error (the interpreter's errorType)
   */
  OutputErrorType validate(Object instance, String location, List<OutputUnit> errors);
}
