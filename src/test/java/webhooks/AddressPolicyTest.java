package webhooks;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which addresses a webhook may reach: literal addresses only, so no DNS is involved. */
class AddressPolicyTest {

  private static InetAddress ip(String literal) throws Exception {
    return InetAddress.getByName(literal);
  }

  @Test
  void publicAddressesPassAndEveryInternalRangeIsRefused() throws Exception {
    AddressPolicy policy = new AddressPolicy("");
    for (String allowed : new String[] {"93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"}) {
      assertThat(policy.allowed(ip(allowed))).as(allowed).isTrue();
    }
    for (String refused : new String[] {"10.1.2.3", "172.16.5.4", "172.31.255.255", "192.168.0.1", "127.0.0.1",
        "127.9.9.9", "169.254.169.254", "100.64.0.1", "100.127.255.254", "0.0.0.0", "224.0.0.251",
        "255.255.255.255", "198.18.0.1", "::1", "::", "fe80::1", "fd00:ec2::254", "fc00::1", "ff02::1",
        "::ffff:10.0.0.1", "64:ff9b::a00:1"}) {
      assertThat(policy.allowed(ip(refused))).as(refused).isFalse();
    }
  }

  @Test
  void theAllowListTakesAddressesAndRanges() throws Exception {
    AddressPolicy policy = new AddressPolicy(" 127.0.0.1 , 10.20.0.0/16, fd12::/16, partner.internal ");
    assertThat(policy.allowed(ip("127.0.0.1"))).isTrue();
    assertThat(policy.allowed(ip("127.0.0.2"))).isFalse();
    assertThat(policy.allowed(ip("10.20.255.1"))).isTrue();
    assertThat(policy.allowed(ip("10.21.0.1"))).isFalse();
    assertThat(policy.allowed(ip("fd12::7"))).isTrue();
    assertThat(policy.resolve(AddressPolicy.parse("http://127.0.0.1:8080/x"))).containsExactly(ip("127.0.0.1"));
    assertThatThrownBy(() -> policy.resolve(AddressPolicy.parse("http://127.0.0.2/")))
        .isInstanceOf(AddressPolicy.Refused.class).hasMessageContaining("not public");
  }

  @Test
  void urlsAreParsedIntoWhatADeliveryNeeds() {
    AddressPolicy.Target target = AddressPolicy.parse("HTTPS://Partner.Example/hooks/in?x=1");
    assertThat(target).isEqualTo(new AddressPolicy.Target("https", "partner.example", 443, "/hooks/in?x=1"));
    assertThat(AddressPolicy.parse("http://[2606:4700::1]:8443").host()).isEqualTo("2606:4700::1");
    assertThat(AddressPolicy.parse("http://a.example").pathAndQuery()).isEqualTo("/");
    for (String bad : new String[] {"ftp://a.example/", "file:///etc/passwd", "http://user:pw@a.example/", "a b",
        "http:///nohost", "mailto:x@y.z"}) {
      assertThatThrownBy(() -> AddressPolicy.parse(bad)).as(bad).isInstanceOf(AddressPolicy.Refused.class);
    }
  }
}
