package notifications;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Readiness of this node's broker connections (relay and workers); none registered means not checked. */
public final class BrokerHealth {

  private final List<BrokerConnection> connections = new CopyOnWriteArrayList<>();

  public void register(BrokerConnection connection) {
    connections.add(connection);
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
}
