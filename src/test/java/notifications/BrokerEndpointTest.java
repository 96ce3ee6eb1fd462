package notifications;

import com.rabbitmq.client.Address;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** ROSTER_AMQP_URL with one URL per RabbitMQ node: the nodes the client tries, and log lines without the password. */
class BrokerEndpointTest {

  private static final String PASSWORD = "s3cret-Pa55";

  @Test
  void everyNodeOfTheListIsAnAddressWithItsSchemesDefaultPort() throws Exception {
    BrokerEndpoint endpoint = BrokerEndpoint.of(" amqp://roster:" + PASSWORD + "@rabbit-0:5673/jobs, amqp://roster:"
        + PASSWORD + "@rabbit-1/jobs ,");
    assertThat(endpoint.factory().getVirtualHost()).isEqualTo("jobs");
    assertThat(endpoint.factory().getUsername()).isEqualTo("roster");
    assertThat(endpoint.addresses()).containsExactly(new Address("rabbit-0", 5673), new Address("rabbit-1", 5672));
    assertThat(BrokerEndpoint.of("amqps://u:p@a,amqps://u:p@b:6000").addresses())
        .containsExactly(new Address("a", 5671), new Address("b", 6000));
    assertThat(BrokerEndpoint.of("amqp://u:p@one:5672/").addresses()).containsExactly(new Address("one", 5672));
    assertThat(BrokerEndpoint.of("amqp:///").addresses()).containsExactly(new Address("localhost", 5672));
  }

  @Test
  void logLinesNameEveryNodeWithoutThePassword() {
    BrokerEndpoint endpoint = BrokerEndpoint.of("amqp://roster:" + PASSWORD + "@rabbit-0:5672/,amqp://roster:"
        + PASSWORD + "@rabbit-1:5672/");
    assertThat(endpoint.redacted()).isEqualTo("amqp://rabbit-0:5672/,amqp://rabbit-1:5672/");
    assertThat(endpoint.scrub("ACCESS_REFUSED for " + PASSWORD)).isEqualTo("ACCESS_REFUSED for ***");
  }

  @Test
  void nodesThatAreNotOneBrokerAreRefusedWhenConnectingWithoutQuotingCredentials() {
    BrokerEndpoint endpoint = BrokerEndpoint.of("amqp://roster:" + PASSWORD + "@a/,amqp://roster:other-" + PASSWORD + "@b/");
    assertThatThrownBy(endpoint::factory).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not one broker").hasMessageContaining("another user or password")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(PASSWORD));
  }
}
