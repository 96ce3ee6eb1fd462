package cron;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;

import java.util.Iterator;

/**
 * Who should try to lead the scheduler. Hazelcast's oldest member is the candidate (Hazelcast keeps members in
 * join order), so only one node contends for the lease in the normal case; the PostgreSQL lease decides, and
 * fences a paused or partitioned node that still believes it is oldest.
 */
public interface LeaderElection {

  boolean candidate();

  /** A node that is not clustered is its own leader. */
  static LeaderElection alone() {
    return () -> true;
  }

  static LeaderElection oldestMemberOf(HazelcastInstance hazelcast) {
    return () -> {
      Iterator<Member> members = hazelcast.getCluster().getMembers().iterator();
      return members.hasNext() && members.next().localMember();
    };
  }
}
