package ratelimit;

import io.vertx.core.Future;

/** Where the buckets live: in this process, or shared by the cluster's nodes. */
public interface BucketStore {

  /** Spends one token of the key's bucket, if it has one. Never blocks. */
  Future<Decision> take(String key, RatePolicy policy);

  /** {@link #take}'s answer when this node has it at once, else null (then ask {@link #take}). */
  default Decision takeAtOnce(String key, RatePolicy policy) {
    return null;
  }

  /**
   * What this node knows of the key's bucket, without spending or asking anyone ({@code allowed} false when it
   * is known to be empty): lets a flood of bad tokens be refused before their signatures are checked.
   */
  Decision peek(String key, RatePolicy policy);
}
