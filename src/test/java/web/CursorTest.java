package web;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CursorTest {

  @Test
  void roundTripsAndIsUrlSafe() {
    Cursor cursor = new Cursor(OffsetDateTime.of(2026, 12, 1, 18, 0, 0, 123456000, ZoneOffset.UTC), UUID.randomUUID());
    String text = cursor.encode();
    assertThat(text).matches("[A-Za-z0-9_-]+");
    assertThat(Cursor.decode(text)).isEqualTo(cursor);
    assertThat(Cursor.decode(null)).isNull();
  }

  @Test
  void foreignTextIsAValidationErrorOnCursor() {
    String foreign = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"x\":1}".getBytes(StandardCharsets.UTF_8));
    for (String bad : new String[] {"!!!", foreign, "e30", "bm90IGpzb24"}) {
      assertThatThrownBy(() -> Cursor.decode(bad)).isInstanceOfSatisfying(ApiError.class, e -> {
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.errors()).extracting(ApiError.FieldError::field).containsExactly("cursor");
      });
    }
  }
}
