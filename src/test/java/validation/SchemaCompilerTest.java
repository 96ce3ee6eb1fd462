package validation;

import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.OutputUnit;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The compiler refuses what it does not know, so the contract cannot drift from the compiled validators unseen. */
class SchemaCompilerTest {

  @Test
  void aKeywordTheCompilerDoesNotKnowStopsTheStartNamingItAndWhere() {
    JsonObject schema = new JsonObject().put("type", "object").put("properties", new JsonObject()
        .put("memberId", new JsonObject().put("oneOf", new io.vertx.core.json.JsonArray())));
    assertThatThrownBy(() -> SchemaCompiler.compile(schema, "createBooking request body"))
        .isInstanceOf(UncompilableSchemaException.class)
        .hasMessageContaining("createBooking request body")
        .hasMessageContaining("#/properties/memberId")
        .hasMessageContaining("\"oneOf\"");
  }

  @Test
  void everyUnknownKeywordIsRefused() {
    for (String keyword : List.of("nullable", "items", "minItems", "oneOf", "anyOf", "allOf", "not", "const",
        "exclusiveMinimum", "multipleOf", "patternProperties", "$ref", "if", "unevaluatedProperties")) {
      JsonObject schema = new JsonObject().put("type", "string").put(keyword, 1);
      assertThatThrownBy(() -> SchemaCompiler.compile(schema, "test")).as(keyword)
          .isInstanceOf(UncompilableSchemaException.class).hasMessageContaining("\"" + keyword + "\"");
    }
  }

  @Test
  void aFormatWithoutAKnownRuleIsRefused() {
    for (String format : List.of("int32", "int64", "double", "binary", "password", "iban")) {
      JsonObject schema = new JsonObject().put("type", "string").put("format", format);
      assertThatThrownBy(() -> SchemaCompiler.compile(schema, "test")).as(format)
          .isInstanceOf(UncompilableSchemaException.class).hasMessageContaining(format);
    }
  }

  @Test
  void annotationsAndTheLoadersOwnEntriesAreIgnored() {
    JsonObject schema = new JsonObject().put("type", "integer").put("minimum", 1).put("description", "a page size")
        .put("example", 20).put("default", 20).put("__absolute_uri__", "app:///openapi.yaml");
    Schema compiled = SchemaCompiler.compile(schema, "test");
    assertThat(errors(compiled, 5)).isEmpty();
    assertThat(errors(compiled, 0)).containsExactly("0 is less than 1");
    assertThat(errors(compiled, "5")).containsExactly("Instance type string is invalid. Expected integer");
  }

  private static List<String> errors(Schema schema, Object instance) {
    List<OutputUnit> errors = new ArrayList<>();
    schema.validate(instance, "#", errors);
    return errors.stream().map(OutputUnit::getError).toList();
  }
}
