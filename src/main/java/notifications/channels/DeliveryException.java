package notifications.channels;

/** A send that did not go through. Permanent ones (a provider's 4xx: bad number, unknown token) are not retried. */
public final class DeliveryException extends RuntimeException {

  private final boolean permanent;
  private final long retryAfterMs;

  private DeliveryException(String message, boolean permanent, long retryAfterMs) {
    super(message, null, false, false);
    this.permanent = permanent;
    this.retryAfterMs = retryAfterMs;
  }

  public static DeliveryException permanent(String message) {
    return new DeliveryException(message, true, 0);
  }

  public static DeliveryException retry(String message) {
    return new DeliveryException(message, false, 0);
  }

  /** The provider asked us to wait (429 Retry-After). */
  public static DeliveryException retryAfter(String message, long ms) {
    return new DeliveryException(message, false, ms);
  }

  public boolean permanent() {
    return permanent;
  }

  public long retryAfterMs() {
    return retryAfterMs;
  }
}
