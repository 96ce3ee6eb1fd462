package contract;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The contract keeps every promise of its committed v1 baseline (src/test/resources/contract/openapi-v1-baseline.yaml):
 * what a partner's client relies on may be added to, never taken away or narrowed.
 *
 * <p>Changing the baseline is a decision, not a fix for a red build: only a new major version (a /v2 API, beside
 * /v1) may break v1. For a compatible change (a new operation, an optional field, a new error code) the test stays
 * green and the baseline may be refreshed by copying openapi.yaml over it, so that the addition is promised too.
 * The README's "The contract" section says the same.
 */
class CompatibilityTest {

  private static final Path CONTRACT = Path.of("src/main/resources/openapi.yaml");
  private static final Path BASELINE = Path.of("src/test/resources/contract/openapi-v1-baseline.yaml");

  private static String read(Path path) {
    try {
      return Files.readString(path);
    } catch (IOException e) {
      throw new IllegalStateException(path + " cannot be read", e);
    }
  }

  /** The breaking changes of the baseline edited by {@code edit}, against the baseline. */
  private static List<String> breakingAfter(Consumer<JsonObject> edit) {
    JsonObject changed = Compatibility.parse(read(BASELINE));
    edit.accept(changed);
    return Compatibility.breakingChanges(read(BASELINE), changed.encodePrettily());
  }

  private static JsonObject schema(JsonObject contract, String name) {
    return contract.getJsonObject("components").getJsonObject("schemas").getJsonObject(name);
  }

  private static JsonObject operation(JsonObject contract, String path, String method) {
    return contract.getJsonObject("paths").getJsonObject(path).getJsonObject(method);
  }

  @Test
  void theContractKeepsEveryPromiseOfItsBaseline() {
    assertThat(Compatibility.breakingChanges(read(BASELINE), read(CONTRACT))).isEmpty();
  }

  @Test
  void additionsAreCompatible() {
    assertThat(breakingAfter(contract -> {
      schema(contract, "EventCreate").getJsonObject("properties")
          .put("level", new JsonObject().put("type", "string").put("description", "Optional level."));
      schema(contract, "Event").getJsonObject("properties")
          .put("level", new JsonObject().put("type", "string").put("description", "Its level."));
      contract.getJsonObject("paths").put("/v1/rooms", new JsonObject().put("get", new JsonObject()
          .put("operationId", "listRooms").put("responses", new JsonObject().put("200", new JsonObject()
              .put("description", "Rooms.")))));
    })).isEmpty();
  }

  @Test
  void aRemovedOperationIsBreaking() {
    assertThat(breakingAfter(contract -> contract.getJsonObject("paths").remove("/v1/bookings/{id}/check-in")))
        .anySatisfy(change -> assertThat(change).contains("/v1/bookings/{id}/check-in"));
  }

  @Test
  void aRenamedOperationPathIsBreaking() {
    assertThat(breakingAfter(contract -> {
      JsonObject paths = contract.getJsonObject("paths");
      paths.put("/v1/events/{id}/attendees", paths.remove("/v1/events/{id}/roster"));
    })).anySatisfy(change -> assertThat(change).contains("/v1/events/{id}/roster"));
  }

  @Test
  void aFieldRemovedFromAResponseIsBreaking() {
    assertThat(breakingAfter(contract -> {
      JsonObject booking = schema(contract, "Booking");
      booking.getJsonObject("properties").remove("waitlistPosition");
      booking.put("required", new JsonArray(booking.getJsonArray("required").stream()
          .filter(name -> !"waitlistPosition".equals(name)).toList()));
    })).contains("GET /v1/bookings/{id} 200: field removed: waitlistPosition");
  }

  @Test
  void aRemovedEnumValueIsBreaking() {
    assertThat(breakingAfter(contract -> schema(contract, "Channel").put("enum", new JsonArray().add("email").add("sms"))))
        .contains("POST /v1/members request.channels[]: enum values removed [push]",
            "GET /v1/members/me 200.channels[]: enum values removed [push]");
  }

  @Test
  void aNewRequiredRequestFieldIsBreaking() {
    assertThat(breakingAfter(contract -> schema(contract, "EventCreate").getJsonArray("required").add("location")))
        .containsExactly("POST /v1/events request: newly required [location]");
  }

  @Test
  void aNarrowedTypeIsBreaking() {
    assertThat(breakingAfter(contract -> schema(contract, "EventCreate").getJsonObject("properties")
        .getJsonObject("capacity").put("maximum", 100))).as("a request field accepting less")
        .containsExactly("POST /v1/events request.capacity: maximum 100, was 100000");
    assertThat(breakingAfter(contract -> schema(contract, "Event").getJsonObject("properties")
        .getJsonObject("capacity").put("type", "string"))).as("a response field of another type")
        .contains("POST /v1/events 201.capacity: may be [string], was [integer]");
    assertThat(breakingAfter(contract -> schema(contract, "EventCreate").getJsonObject("properties")
        .getJsonObject("location").put("type", "string"))).as("a request field no longer nullable")
        .containsExactly("POST /v1/events request.location: accepts only [string], was [null, string]");
  }

  @Test
  void anErrorCodeNoLongerAnsweredIsBreaking() {
    assertThat(breakingAfter(contract -> {
      JsonObject conflict = operation(contract, "/v1/bookings/{id}/check-in", "post").getJsonObject("responses")
          .getJsonObject("409");
      conflict.put("description", conflict.getString("description").replace("`booking_not_confirmed`", "a conflict"));
    })).containsExactly("error code no longer answered: POST /v1/bookings/{id}/check-in 409 booking_not_confirmed");
  }

  @Test
  void theErrorCodesAreReadFromTheContract() {
    assertThat(Compatibility.errorCodes(Compatibility.parse(read(CONTRACT)))).contains(
        "POST /v1/bookings 409 event_full", "POST /v1/bookings 409 already_booked",
        "GET /v1/bookings/{id} 404 not_found", "POST /v1/members 422 idempotency_key_reused",
        "POST /v1/bookings 503 overloaded");
  }
}
