package bookings;

import java.util.Map;

/**
 * The booking API's answers on the per-request path (coalescing off): one transaction per booking, which a node
 * without the coalescer runs and the coalescer falls back on when a batch fails as a whole. The same answers as
 * with coalescing on (the inherited tests).
 */
class BookingsApiAloneTest extends BookingsApiTest {

  @Override
  protected Map<String, String> serviceSettings() {
    return Map.of("ROSTER_BOOKING_COALESCE", "false");
  }
}
