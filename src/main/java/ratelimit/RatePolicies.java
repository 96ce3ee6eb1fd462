package ratelimit;

import auth.Caller;
import config.AppConfig;
import io.vertx.core.http.HttpMethod;

/**
 * The classes of operation and their policies (all from config, rate.*). A caller's class decides its bucket:
 * admins have one budget for everything (imports and scripts are theirs), members and trainers one for booking
 * writes (book, cancel), one for other writes and one for reads. Callers without a valid token are counted per
 * client address.
 */
public record RatePolicies(RatePolicy booking, RatePolicy write, RatePolicy read, RatePolicy admin,
                           RatePolicy anonymous) {

  public static RatePolicies from(AppConfig config) {
    return new RatePolicies(
        new RatePolicy("booking", config.rateBookingLimit(), config.rateBookingWindowSeconds()),
        new RatePolicy("write", config.rateWriteLimit(), config.rateWriteWindowSeconds()),
        new RatePolicy("read", config.rateReadLimit(), config.rateReadWindowSeconds()),
        new RatePolicy("admin", config.rateAdminLimit(), config.rateAdminWindowSeconds()),
        new RatePolicy("anonymous", config.rateAnonymousLimit(), config.rateAnonymousWindowSeconds()));
  }

  public RatePolicy of(Caller caller, HttpMethod method, String path) {
    if (caller.isAdmin()) {
      return admin;
    }
    if (isBookingWrite(method, path)) {
      return booking;
    }
    return method == HttpMethod.GET || method == HttpMethod.HEAD ? read : write;
  }

  /** POST /v1/bookings (book) and DELETE /v1/bookings/{id} (cancel): what a book/cancel loop repeats. */
  private static boolean isBookingWrite(HttpMethod method, String path) {
    if (method == HttpMethod.POST) {
      return path.equals("/v1/bookings") || path.equals("/v1/bookings/");
    }
    return method == HttpMethod.DELETE && path.startsWith("/v1/bookings/") && path.indexOf('/', 13) < 0;
  }
}
