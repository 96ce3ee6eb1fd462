package web;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Which Content-Type values count as JSON (the rest get 415): compared in place, so the edges are pinned here. */
class JsonContentTypeTest {

  @Test
  void jsonAndItsStructuredSyntaxSuffixWhateverTheCaseParametersOrSpaces() {
    assertThat(JsonContentType.isJson("application/json")).isTrue();
    assertThat(JsonContentType.isJson("Application/JSON")).isTrue();
    assertThat(JsonContentType.isJson("application/json; charset=utf-8")).isTrue();
    assertThat(JsonContentType.isJson("  application/json  ;charset=utf-8")).isTrue();
    assertThat(JsonContentType.isJson("application/merge-patch+json")).isTrue();
    assertThat(JsonContentType.isJson("application/problem+JSON; q=1")).isTrue();
  }

  @Test
  void anythingElseIsNot() {
    assertThat(JsonContentType.isJson(null)).isFalse();
    assertThat(JsonContentType.isJson("")).isFalse();
    assertThat(JsonContentType.isJson(";application/json")).isFalse();
    assertThat(JsonContentType.isJson("text/json")).isFalse();
    assertThat(JsonContentType.isJson("application/jsonx")).isFalse();
    assertThat(JsonContentType.isJson("application/json-seq")).isFalse();
    assertThat(JsonContentType.isJson("text/plain+json")).isFalse();
    assertThat(JsonContentType.isJson("application/x-www-form-urlencoded")).isFalse();
  }
}
