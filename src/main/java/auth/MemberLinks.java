package auth;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.PromiseInternal;
import io.vertx.sqlclient.SqlClient;
import members.MemberRepository;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Token subject → linked member id, one for the node, used by every HTTP verticle. Cached because it is asked on
 * every first request of a token and a member's subject never changes once set. Unlinked subjects are not cached,
 * so linking takes effect at once. Unknown subjects are looked up together ({@link SubjectLookups}).
 */
public final class MemberLinks {

  private static final int MAX_ENTRIES = 200_000;

  private final ConcurrentHashMap<String, String> cache = new ConcurrentHashMap<>();
  private final SubjectLookups lookups;

  public MemberLinks(SqlClient db, MemberRepository members) {
    this.lookups = new SubjectLookups(db, members, this::remember);
  }

  /**
   * @return the member id, or null when no member carries this subject. The answer arrives on the caller's
   * context: a lookup sent by another verticle comes back on that verticle's event loop, and a request must
   * continue on its own (its verticle's pools and booking coalescer belong there).
   */
  public Future<String> memberIdOf(String subject) {
    String cached = cache.get(subject);
    if (cached != null) {
      return Future.succeededFuture(cached);
    }
    Future<String> shared = lookups.lookUp(subject);
    ContextInternal caller = (ContextInternal) Vertx.currentContext();
    if (caller == null) {
      return shared;
    }
    PromiseInternal<String> answer = caller.promise();
    shared.onComplete(answer);
    return answer.future();
  }

  /** Lookup queries sent so far, for tests. */
  long queries() {
    return lookups.queries();
  }

  private void remember(String subject, String memberId) {
    if (cache.size() >= MAX_ENTRIES) {
      cache.clear();
    }
    cache.put(subject, memberId);
  }
}
