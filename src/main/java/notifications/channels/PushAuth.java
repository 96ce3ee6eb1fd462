package notifications.channels;

import io.vertx.core.Future;

/** Where the push channel's bearer token comes from: a fixed token (tests, development) or a service account. */
public interface PushAuth {

  /** A token to send with; fails with a retryable {@link DeliveryException} when none can be had now. */
  Future<String> token();

  /**
   * The push API refused {@code rejected} (401): a newer token, or {@code rejected} itself when there is no other
   * (then the refusal stands).
   */
  Future<String> renew(String rejected);

  /** A token given in the configuration, used as it is until it is changed there. */
  static PushAuth fixed(String token) {
    return new PushAuth() {
      @Override
      public Future<String> token() {
        return Future.succeededFuture(token);
      }

      @Override
      public Future<String> renew(String rejected) {
        return Future.succeededFuture(token);
      }
    };
  }
}
