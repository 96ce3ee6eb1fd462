package auth;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.sqlclient.SqlClient;
import members.MemberRepository;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;

/**
 * Looks subjects up in the members table, coalesced: askers of a subject already being looked up share that lookup,
 * and subjects asked while the maximum of queries is in flight wait to leave together, up to
 * {@link #MAX_SUBJECTS_PER_QUERY} in one query, as soon as a query comes back. A burst of first requests from
 * thousands of members so costs a few dozen queries, while a lone request on a quiet node leaves at once.
 * Used by every event loop of the node; the answers complete on whichever thread the query came back on.
 */
final class SubjectLookups {

  static final int MAX_SUBJECTS_PER_QUERY = 256;
  /** Queries in flight at once: a few, so one slow query does not hold every asker back. */
  static final int MAX_QUERIES_IN_FLIGHT = 4;

  private final SqlClient db;
  private final MemberRepository members;
  /** Told of every linked subject found, before its askers are answered. */
  private final BiConsumer<String, String> onLinked;
  /** Subjects asked and not yet answered (waiting or in flight), with their shared answer; guarded by this. */
  private final Map<String, Promise<String>> pending = new HashMap<>();
  /** Subjects asked and not sent yet, in the order asked; guarded by this. */
  private final ArrayDeque<String> waiting = new ArrayDeque<>();
  private int inFlight;
  private final LongAdder queries = new LongAdder();

  SubjectLookups(SqlClient db, MemberRepository members, BiConsumer<String, String> onLinked) {
    this.db = db;
    this.members = members;
    this.onLinked = onLinked;
  }

  /** @return the member id, or null when no member carries this subject; completes on any thread */
  Future<String> lookUp(String subject) {
    Future<String> answer;
    List<String> batch;
    synchronized (this) {
      Promise<String> shared = pending.get(subject);
      if (shared != null) {
        return shared.future();
      }
      shared = Promise.promise();
      pending.put(subject, shared);
      waiting.add(subject);
      answer = shared.future();
      batch = nextBatch();
    }
    if (batch != null) {
      send(batch);
    }
    return answer;
  }

  /** Queries sent so far, for tests. */
  long queries() {
    return queries.sum();
  }

  /** The next subjects to send, taking a slot for them; null when none wait or no slot is free. Caller locks. */
  private List<String> nextBatch() {
    if (waiting.isEmpty() || inFlight >= MAX_QUERIES_IN_FLIGHT) {
      return null;
    }
    inFlight++;
    List<String> batch = new ArrayList<>(Math.min(waiting.size(), MAX_SUBJECTS_PER_QUERY));
    while (batch.size() < MAX_SUBJECTS_PER_QUERY && !waiting.isEmpty()) {
      batch.add(waiting.poll());
    }
    return batch;
  }

  private void send(List<String> batch) {
    queries.increment();
    Future<Map<String, UUID>> query;
    try {
      query = members.idsBySubject(db, batch);
    } catch (RuntimeException e) {
      query = Future.failedFuture(e);
    }
    query.onComplete(result -> {
      if (result.succeeded()) {
        // remembered before the subjects leave `pending`: a new asker finds them linked, not in need of a query
        result.result().forEach((subject, id) -> onLinked.accept(subject, id.toString()));
      }
      List<Promise<String>> answered = new ArrayList<>(batch.size());
      List<String> next;
      synchronized (this) {
        inFlight--;
        batch.forEach(subject -> answered.add(pending.remove(subject)));
        next = nextBatch();
      }
      if (next != null) {
        send(next);
      }
      for (int i = 0; i < batch.size(); i++) {
        if (result.succeeded()) {
          UUID id = result.result().get(batch.get(i));
          answered.get(i).complete(id == null ? null : id.toString());
        } else {
          answered.get(i).fail(result.cause());
        }
      }
    });
  }
}
