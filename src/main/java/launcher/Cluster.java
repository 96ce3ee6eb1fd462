package launcher;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import config.AppConfig;
import cron.LeaderElection;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.util.Arrays;

/** Builds the Hazelcast cluster manager from conf/cluster.xml and the ROSTER_CLUSTER_* settings. */
final class Cluster {

  private Cluster() {
  }

  static HazelcastClusterManager manager(AppConfig config) {
    config.requireClusterSettings();
    // start from cluster.xml (it keeps the maps Vert.x needs) and apply the configuration
    Config hz = ConfigUtil.loadConfig();
    hz.setClusterName(config.clusterName());
    hz.setProperty("hazelcast.heartbeat.interval.seconds", String.valueOf(config.clusterHeartbeatSeconds()));
    hz.setProperty("hazelcast.max.no.heartbeat.seconds", String.valueOf(config.clusterMaxNoHeartbeatSeconds()));
    // a member that left cleanly or was removed is not waited for when partitions move
    hz.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
    hz.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
    // lets the other members prefer a node that runs the scheduler when the lease is free
    hz.getMemberAttributeConfig().setAttribute(LeaderElection.SCHEDULER_ATTRIBUTE,
        String.valueOf(config.schedulerEnabled()));

    // rate-limit buckets of callers idle for an hour go (the longest default window refills a bucket in 10 min)
    hz.addMapConfig(ratelimit.ClusterBuckets.mapConfig());

    NetworkConfig network = hz.getNetworkConfig();
    network.setPort(config.clusterPort()).setPortAutoIncrement(false);
    network.setPublicAddress(config.clusterHost() + ":" + config.clusterPort());
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    if ("kubernetes".equalsIgnoreCase(config.clusterDiscovery())) {
      join.getTcpIpConfig().setEnabled(false);
      join.getKubernetesConfig().setEnabled(true)
          .setProperty("service-dns", config.clusterKubernetesService());
    } else {
      network.getInterfaces().setEnabled(true).addInterface(config.clusterHost());
      join.getTcpIpConfig().setEnabled(true).setMembers(Arrays.stream(config.clusterMembers().split(","))
          .map(String::trim).filter(m -> !m.isEmpty()).toList());
    }
    return new HazelcastClusterManager(hz);
  }
}
