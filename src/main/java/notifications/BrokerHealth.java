package notifications;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * State of this node's broker connections (relay, notification workers, task workers), by role: shown in
 * {@code /health} and as the gauge {@code roster_broker_connected{role}}. Readiness does not use it: bookings
 * never touch the broker, so a broker outage must not take API pods out of service.
 */
public final class BrokerHealth {

  private final List<BrokerConnection> connections = new CopyOnWriteArrayList<>();
  private final Set<String> gauged = ConcurrentHashMap.newKeySet();
  private volatile MeterRegistry registry;

  /** Publishes one gauge per role that registers a connection from now on (null: no metrics). */
  public BrokerHealth measuredBy(MeterRegistry registry) {
    this.registry = registry;
    return this;
  }

  public void register(BrokerConnection connection) {
    connections.add(connection);
    String role = connection.role();
    MeterRegistry meters = registry;
    if (meters != null && gauged.add(role)) {
      Gauge.builder("roster.broker.connected", this, health -> health.up(role) ? 1 : 0)
          .description("1 while every broker connection of this role on this node is open, else 0")
          .tag("role", role).strongReference(true).register(meters);
    }
  }

  public void unregister(BrokerConnection connection) {
    connections.remove(connection);
  }

  public boolean checked() {
    return !connections.isEmpty();
  }

  public boolean up() {
    return connections.stream().allMatch(BrokerConnection::isConnected);
  }

  /** A role is up when it has connections on this node and all of them are open. */
  public boolean up(String role) {
    List<BrokerConnection> ofRole = connections.stream().filter(c -> c.role().equals(role)).toList();
    return !ofRole.isEmpty() && ofRole.stream().allMatch(BrokerConnection::isConnected);
  }

  /** Role → up, for the roles that have connections on this node. */
  public Map<String, Boolean> byRole() {
    Map<String, Boolean> roles = new TreeMap<>();
    connections.forEach(c -> roles.merge(c.role(), c.isConnected(), Boolean::logicalAnd));
    return roles;
  }
}
