package validation;

import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.ext.web.handler.InputTrustHandler;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.validation.ValidatorException;

import java.util.List;

/**
 * Request validation of the hottest operations by validators compiled from openapi.yaml at start-up, instead of
 * vertx-openapi's interpreter (about a seventh of a booking's CPU: it re-reads the schemas for every request
 * and runs on a worker thread). The contract stays the one source: the validators are built from its schemas,
 * a schema keyword the compiler does not know stops the start, and CompiledValidationParityTest sends the same
 * good and bad requests to both paths and demands the same answers.
 */
public final class CompiledValidation implements InputTrustHandler {

  /** The operations validated by compiled validators: a booking and the two reads of events. */
  public static final List<String> OPERATIONS = List.of("createBooking", "getEvent", "listEvents");

  private final CompiledOperation operation;

  private CompiledValidation(CompiledOperation operation) {
    this.operation = operation;
  }

  /**
   * Compiles the validators of {@link #OPERATIONS} and makes each the first handler of its route, with the
   * interpreter turned off for that route only. Call it before any other handler is added to those routes.
   *
   * @throws UncompilableSchemaException if a schema of those operations says what the compiler does not know
   */
  public static void install(RouterBuilder builder, OpenAPIContract contract) {
    for (String operationId : OPERATIONS) {
      Operation operation = contract.operation(operationId);
      if (operation == null) {
        throw new UncompilableSchemaException("openapi.yaml has no operation " + operationId);
      }
      builder.getRoute(operationId).setDoValidation(false)
          .addHandler(new CompiledValidation(CompiledOperation.compile(operation)));
    }
  }

  @Override
  public void handle(RoutingContext rc) {
    try {
      rc.put(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST, operation.validate(rc));
    } catch (ValidatorException e) {
      // as the router answers the interpreter's refusals
      rc.fail(new HttpException(400, e.getMessage(), e));
      return;
    }
    rc.next();
  }
}
