package members;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import support.Api;
import support.ApiTestBase;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A member may change its phone only a few times a day (an SMS target); admins may always fix it. */
class PhoneChangeLimitTest extends ApiTestBase {

  @Override
  protected Map<String, String> serviceSettings() {
    return Map.of("ROSTER_RATE_PHONE_CHANGES_PER_DAY", "2");
  }

  @Test
  void aMemberChangesItsPhoneTwiceADayThenGets429() {
    Person m = member();
    assertThat(phone(m.id(), m.token(), "+15550000001").status()).isEqualTo(200);
    assertThat(phone(m.id(), m.token(), "+15550000002").status()).isEqualTo(200);
    // the same number again, or other fields, are no change of phone
    assertThat(phone(m.id(), m.token(), "+15550000002").status()).isEqualTo(200);
    assertThat(api.patch("/v1/members/" + m.id(), m.token(), new JsonObject().put("name", "Still me")).status())
        .isEqualTo(200);

    Api.Res third = phone(m.id(), m.token(), "+15550000003");
    assertProblem(third, 429, "rate_limited");
    long retryAfter = Long.parseLong(third.header("Retry-After"));
    assertThat(retryAfter).isBetween(86_000L, 86_400L);
    assertThat(db.count("SELECT count(*) FROM members WHERE id = ?::uuid AND phone = '+15550000002'", m.id()))
        .as("the number did not change").isEqualTo(1);

    // an admin may still change it, and another member is not affected
    assertThat(phone(m.id(), admin.token(), "+15550000004").status()).isEqualTo(200);
    Person other = member();
    assertThat(phone(other.id(), other.token(), "+15550000005").status()).isEqualTo(200);
  }

  private Api.Res phone(String id, String token, String phone) {
    return api.patch("/v1/members/" + id, token, new JsonObject().put("phone", phone));
  }
}
