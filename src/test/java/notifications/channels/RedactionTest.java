package notifications.channels;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What providers answer, as they answer it, with the member's data and any secret taken out and the reason kept. */
class RedactionTest {

  @Test
  void twilioEchoesThePhoneNumber() {
    String answer = "SMS provider answered 400: {\"code\": 21211, \"message\": \"The 'To' number +15005550001 is not "
        + "a valid phone number.\", \"more_info\": \"https://www.twilio.com/docs/errors/21211\", \"status\": 400}";
    String redacted = Redaction.apply(answer);
    assertThat(redacted).doesNotContain("5005550001").contains("[phone]").contains("21211").contains("answered 400")
        .contains("https://www.twilio.com/docs/errors/");
  }

  @Test
  void phoneNumbersInOtherSpellings() {
    for (String phone : new String[] {"+1 (500) 555-0001", "%2B15005550001", "15005550001", "+44 20 7946 0958"}) {
      assertThat(Redaction.apply("bad number " + phone + ".")).as(phone).isEqualTo("bad number [phone].");
    }
  }

  @Test
  void smtpEchoesTheAddress() {
    assertThat(Redaction.apply("SMTP 550: 5.1.1 <ada.lovelace+club@mail.example.org>: Recipient address rejected"))
        .isEqualTo("SMTP 550: 5.1.1 <[email]>: Recipient address rejected");
  }

  @Test
  void pushProvidersEchoTheDeviceToken() {
    String token = "dQw4w9WgXcQ:APA91bHun4MxP5egoKMwt2KZFBaFUH-1RYqx8s_7ZEzPQXl_V5AHoV1Q0tBy0nQU6zP";
    String redacted = Redaction.apply("push provider answered 404: {\"error\": {\"code\": 404, \"message\": "
        + "\"Requested entity was not found: " + token + "\", \"status\": \"NOT_FOUND\"}}");
    assertThat(redacted).doesNotContain("APA91b").doesNotContain("dQw4w9").contains("[token]").contains("NOT_FOUND");
  }

  @Test
  void credentialsEchoedBackAreRemoved() {
    assertThat(Redaction.apply("got header Authorization: Bearer ya29.a0AfH6SMBx")).isEqualTo(
        "got header Authorization: Bearer [token]");
    assertThat(Redaction.apply("account AC0123456789abcdef0123456789abcdef not found"))
        .isEqualTo("account [token] not found");
  }

  @Test
  void serviceAccountSecretsAreRemoved() throws Exception {
    java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    String base64 = java.util.Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(
        generator.generateKeyPair().getPrivate().getEncoded());
    String pem = "-----BEGIN PRIVATE KEY-----\n" + base64 + "\n-----END PRIVATE KEY-----\n";
    for (String quoted : new String[] {pem, pem.replace("\n", "\\n"), base64.substring(0, 300)}) {
      String redacted = Redaction.apply("key file: {\"private_key\": \"" + quoted + "\", \"x\": 1}");
      for (String line : base64.split("\n")) {
        assertThat(redacted).as("a line of the key").doesNotContain(line.substring(0, 12));
      }
      assertThat(redacted).startsWith("key file: {\"private_key\": \"").endsWith("\", \"x\": 1}");
    }
    String answer = "Error getting access token for service account: 503 Service Unavailable, iss: "
        + "roster-push@club-123.iam.gserviceaccount.com {\"access_token\": \"ya29.c.b0AXv0zTOc2Tq7kYxQ-Lx8\", "
        + "\"assertion\": \"eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJyb3N0ZXIifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ\"}";
    assertThat(Redaction.apply(answer)).isEqualTo("Error getting access token for service account: 503 Service "
        + "Unavailable, iss: [email] {\"access_token\": \"[token]\", \"assertion\": \"[token]\"}");
  }

  @Test
  void plainReasonsStayAsTheyAre() {
    for (String reason : new String[] {"SMS provider answered 500", "the member has no phone number",
        "push provider unreachable: Connection refused: /127.0.0.1:40123", "Timeout", "SMTP: connection closed",
        "SMS provider answered 429: {\"message\":\"slow down\"}"}) {
      assertThat(Redaction.apply(reason)).isEqualTo(reason);
    }
    assertThat(Redaction.apply(null)).isNull();
  }

  /**
   * A partner's answer is any text: runs of a token's, a key's or an address's characters that never form one
   * (no digit, no '@') are kept, and are read in linear time (the bound is a thousand times what that takes; a
   * pattern that rescanned each run from every position took seconds for a few kilobytes).
   */
  @Test
  void longRunsAreReadInLinearTime() {
    String letters = "a".repeat(200_000);
    String answer = "HTTP 502: " + letters + " " + "b".repeat(100_000) + "1 " + "c+/".repeat(50_000);
    String redacted = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(20),
        () -> Redaction.apply(answer));
    assertThat(redacted).isEqualTo("HTTP 502: " + letters + " [token] " + "c+/".repeat(50_000));
  }
}
