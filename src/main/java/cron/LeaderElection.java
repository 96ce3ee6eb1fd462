package cron;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;

/**
 * Which scheduler-enabled node tries first when the lease is free. Only a preference: the PostgreSQL lease alone
 * decides who leads, and any node whose scheduler runs may take an expired lease (see {@link Scheduler}).
 * Seniority among enabled members keeps the normal case to one contender; it is never required, so an oldest
 * API-only pod, or an oldest node that cannot reach PostgreSQL, cannot stop the jobs.
 */
public interface LeaderElection {

  /**
   * Hazelcast member attribute each node publishes: "true" when its scheduler is enabled. A member without it
   * (a node of an older version during an upgrade) counts as enabled, as every node did then.
   */
  String SCHEDULER_ATTRIBUTE = "roster.scheduler";

  boolean preferred();

  /** A node that is not clustered is its own preferred candidate. */
  static LeaderElection alone() {
    return () -> true;
  }

  /** The oldest member whose scheduler is enabled (Hazelcast lists members in join order). */
  static LeaderElection oldestEnabledMemberOf(HazelcastInstance hazelcast) {
    return () -> {
      for (Member member : hazelcast.getCluster().getMembers()) {
        if (!"false".equals(member.getAttribute(SCHEDULER_ATTRIBUTE))) {
          return member.localMember();
        }
      }
      return false;
    };
  }
}
