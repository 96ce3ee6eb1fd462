package tracing;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.GetResponse;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import support.Api;
import support.NotificationTestBase;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Without an OTLP endpoint there is no tracer: no span is made, no outbox row or message carries a traceparent. */
class TracingOffTest extends NotificationTestBase {

  @Test
  void noSpanAndNoTraceparent() {
    assertThat(((VertxInternal) app.vertx()).tracer()).as("Vert.x runs without a tracer").isNull();
    assertThat(Tracing.of(app.vertx()).enabled()).isFalse();

    // a queue beside the worker's, to see the messages the relay publishes
    String spy = namespace + ".spy";
    withBroker(ch -> {
      ch.exchangeDeclare(namespace + ".notifications", BuiltinExchangeType.TOPIC, true);
      ch.queueDeclare(spy, false, false, false, null);
      return ch.queueBind(spy, namespace + ".notifications", "email");
    });
    try {
      Person member = member();
      Api.Res channels = api.patch("/v1/members/" + member.id(), admin.token(),
          new JsonObject().put("channels", new JsonArray().add("email")));
      assertThat(channels.status()).as(channels.toString()).isEqualTo(200);
      String eventId = createEvent(5, 0).getString("id");
      assertThat(book(member, eventId).status()).isEqualTo(201);

      eventually(Duration.ofSeconds(20), "the mail", () -> !mailsTo(member.json().getString("email")).isEmpty());
      GetResponse message = withBroker(ch -> ch.basicGet(spy, true));
      assertThat(message).as("the published message").isNotNull();
      Map<String, Object> headers = message.getProps().getHeaders();
      assertThat(headers == null ? Map.of() : headers).doesNotContainKey(MessageHeaders.TRACEPARENT);
      assertThat(db.count("SELECT count(*) FROM outbox WHERE payload->>'memberId' = ? AND traceparent IS NULL",
          member.id())).isEqualTo(1);
    } finally {
      withBroker(ch -> ch.queueDelete(spy));
    }
  }
}
