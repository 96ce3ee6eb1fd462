package auth;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import members.MemberRepository;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Token subject → linked member id, cached because it is asked on every request and a member's
 * subject never changes once set. Unlinked subjects are not cached, so linking takes effect at once.
 */
public final class MemberLinks {

  private static final int MAX_ENTRIES = 200_000;

  private final SqlClient db;
  private final MemberRepository members;
  private final ConcurrentHashMap<String, String> cache = new ConcurrentHashMap<>();

  public MemberLinks(SqlClient db, MemberRepository members) {
    this.db = db;
    this.members = members;
  }

  /** @return the member id, or null when no member carries this subject */
  public Future<String> memberIdOf(String subject) {
    String cached = cache.get(subject);
    if (cached != null) {
      return Future.succeededFuture(cached);
    }
    return members.findBySubject(db, subject).map(member -> {
      if (member == null) {
        return null;
      }
      if (cache.size() >= MAX_ENTRIES) {
        cache.clear();
      }
      String id = member.id().toString();
      cache.put(subject, id);
      return id;
    });
  }

}
