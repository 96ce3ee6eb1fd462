package notifications.channels;

/** A send that did not go through. Permanent ones (a provider's 4xx: bad number, unknown token) are not retried. */
public final class DeliveryException extends RuntimeException {

  private final boolean permanent;
  private final long retryAfterMs;
  private final StaleContact staleContact;

  private DeliveryException(String message, boolean permanent, long retryAfterMs, StaleContact staleContact) {
    super(message, null, false, false);
    this.permanent = permanent;
    this.retryAfterMs = retryAfterMs;
    this.staleContact = staleContact;
  }

  public static DeliveryException permanent(String message) {
    return new DeliveryException(message, true, 0, null);
  }

  public static DeliveryException retry(String message) {
    return new DeliveryException(message, false, 0, null);
  }

  /** The provider asked us to wait (429 Retry-After). */
  public static DeliveryException retryAfter(String message, long ms) {
    return new DeliveryException(message, false, ms, null);
  }

  /** Permanent, and the address itself is dead: the worker also updates the member (see {@link StaleContact}). */
  public static DeliveryException staleContact(String message, StaleContact contact) {
    return new DeliveryException(message, true, 0, contact);
  }

  /** The dead address this failure revealed, or null. */
  public StaleContact staleContact() {
    return staleContact;
  }

  public boolean permanent() {
    return permanent;
  }

  public long retryAfterMs() {
    return retryAfterMs;
  }
}
