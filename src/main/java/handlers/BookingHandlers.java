package handlers;

import bookings.Booking;
import bookings.BookingService;
import idempotency.IdempotencyHandler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import web.Requests;

import java.util.UUID;

/** /v1/bookings: reads the validated request, calls the service, writes the response. */
public final class BookingHandlers {

  private final BookingService bookings;

  public BookingHandlers(BookingService bookings) {
    this.bookings = bookings;
  }

  public void register(RouterBuilder builder, IdempotencyHandler idempotency) {
    builder.getRoute("createBooking").addHandler(idempotency).addHandler(this::create);
    builder.getRoute("listBookings").addHandler(this::list);
    builder.getRoute("getBooking").addHandler(this::get);
    builder.getRoute("cancelBooking").addHandler(this::cancel);
    builder.getRoute("checkInBooking").addHandler(idempotency).addHandler(this::checkIn);
  }

  private void create(RoutingContext rc) {
    JsonObject body = Requests.body(rc);
    Reply.createdStreamed(rc, bookings.book(Requests.caller(rc), UUID.fromString(body.getString("eventId")),
        body.getString("memberId")), Booking::id, "/v1/bookings");
  }

  private void list(RoutingContext rc) {
    Reply.ok(rc, bookings.list(Requests.caller(rc), Requests.queryUuid(rc, "eventId"), Requests.queryUuid(rc, "memberId"),
        Requests.query(rc, "status"), Requests.cursor(rc), Requests.limit(rc)));
  }

  private void get(RoutingContext rc) {
    Reply.okStreamed(rc, bookings.get(Requests.caller(rc), Requests.pathId(rc)));
  }

  private void cancel(RoutingContext rc) {
    Reply.okStreamed(rc, bookings.cancel(Requests.caller(rc), Requests.pathId(rc)));
  }

  private void checkIn(RoutingContext rc) {
    Reply.okStreamed(rc, bookings.checkIn(Requests.caller(rc), Requests.pathId(rc)));
  }
}
