package bookings;

import auth.Caller;
import events.EventRepository;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import web.ApiError;
import web.Cursor;
import web.Page;

import java.util.UUID;

/**
 * Booking, cancellation (with promotion from the waitlist) and check-in, each one transaction.
 * The database decides who gets a seat: conditional updates on the event row, backed by CHECK
 * constraints and a partial unique index, so no Java-side lock or read-then-write race is involved.
 */
public final class BookingService {

  private final Pool pool;
  private final BookingRepository bookings;
  private final EventRepository events;
  private final BookingMetrics metrics;
  private BookingCoalescer coalescer;

  public BookingService(Pool pool, BookingRepository bookings, EventRepository events, BookingMetrics metrics) {
    this.pool = pool;
    this.bookings = bookings;
    this.events = events;
    this.metrics = metrics;
  }

  public Future<Booking> book(Caller caller, UUID eventId, String requestedMemberId) {
    UUID memberId;
    try {
      memberId = UUID.fromString(bookingMemberOf(caller, requestedMemberId));
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    long started = System.nanoTime();
    Future<Booking> booked = coalescer != null ? coalescer.book(eventId, memberId) : bookAlone(eventId, memberId);
    return booked.onComplete(result -> metrics.record(
        result.succeeded() ? result.result().status() : codeOf(result.cause()), System.nanoTime() - started));
  }

  /** Decides bookings that arrive together in one transaction (see {@link BookingCoalescer}). */
  public BookingService coalescing(Vertx vertx, int maxBatch, long windowMs, int maxConcurrent, int queueMax,
                                   long queueTimeoutMs) {
    this.coalescer = new BookingCoalescer(vertx, pool, this::bookAlone, maxBatch, windowMs, maxConcurrent, queueMax,
        queueTimeoutMs, metrics);
    return this;
  }

  /** Completes once the coalescer (if any) has decided every request it holds, or after the timeout. */
  public Future<Void> drain(long timeoutMs) {
    return coalescer == null ? Future.succeededFuture() : coalescer.drain(timeoutMs);
  }

  /** One booking, one transaction. */
  private Future<Booking> bookAlone(UUID eventId, UUID memberId) {
    return pool.withTransaction(conn -> book(conn, eventId, memberId));
  }

  private Future<Booking> book(SqlConnection conn, UUID eventId, UUID memberId) {
    return bookings.eligibility(conn, eventId, memberId).compose(eligibility -> {
      if (eligibility == null) {
        return Future.failedFuture(BookingRepository.Refusal.MEMBER_NOT_FOUND.error());
      }
      if ("suspended".equals(eligibility.memberStatus())) {
        return Future.failedFuture(BookingRepository.Refusal.MEMBER_SUSPENDED.error());
      }
      if (eligibility.alreadyBooked()) {
        return Future.failedFuture(BookingRepository.alreadyBooked());
      }
      return bookings.takeSeat(conn, eventId).compose(seated -> seated
          ? bookings.insert(conn, eventId, memberId, "confirmed", null)
          : bookings.takeWaitlistPlace(conn, eventId).compose(place -> place != null
              ? bookings.insert(conn, eventId, memberId, "waitlisted", place)
              : whyNotBookable(conn, eventId)));
    });
  }

  /** Neither a seat nor a waitlist place: say which rule stopped it. */
  private Future<Booking> whyNotBookable(SqlConnection conn, UUID eventId) {
    return events.findById(conn, eventId).compose(event -> {
      if (event == null) {
        return Future.failedFuture(BookingRepository.Refusal.EVENT_NOT_FOUND.error());
      }
      if (!"scheduled".equals(event.status()) || !event.startsAt().toInstant().isAfter(java.time.Instant.now())) {
        return Future.failedFuture(BookingRepository.Refusal.EVENT_NOT_BOOKABLE.error());
      }
      return Future.failedFuture(BookingRepository.Refusal.EVENT_FULL.error());
    });
  }

  /** A member books for itself; admins and trainers for anyone (themselves when memberId is omitted). */
  private static String bookingMemberOf(Caller caller, String requested) {
    if (requested == null || caller.isMember(requested)) {
      if (caller.memberId() == null) {
        throw caller.isStaff()
            ? ApiError.invalid("memberId", "is required: your token is linked to no member")
            : ApiError.forbidden("Your token is linked to no member.");
      }
      return caller.memberId();
    }
    if (!caller.isStaff()) {
      throw ApiError.forbidden("Members book only for themselves.");
    }
    return requested;
  }

  public Future<Booking> get(Caller caller, UUID id) {
    return bookings.findById(pool, id).map(booking -> {
      if (booking == null || !(caller.isStaff() || caller.isMember(booking.memberId().toString()))) {
        throw notFound();
      }
      return booking;
    });
  }

  public Future<JsonObject> list(Caller caller, UUID eventId, UUID memberId, String status, Cursor after, int limit) {
    UUID effectiveMember = memberId;
    if (!caller.isStaff()) {
      if (caller.memberId() == null) {
        return Future.failedFuture(ApiError.forbidden("Your token is linked to no member."));
      }
      if (memberId != null && !caller.isMember(memberId.toString())) {
        return Future.succeededFuture(new JsonObject().put("items", new JsonArray()).putNull("nextCursor"));
      }
      effectiveMember = UUID.fromString(caller.memberId());
    }
    return bookings.list(pool, eventId, effectiveMember, status, after, limit + 1)
        .map(rows -> Page.of(rows, limit, Booking::toJson, Booking::createdAt, Booking::id));
  }

  /** Cancels; a freed seat goes to the first waitlisted booking in the same transaction. */
  public Future<Booking> cancel(Caller caller, UUID id) {
    return pool.withTransaction(conn -> bookings.findById(conn, id).compose(booking -> {
      if (booking == null || !(caller.isStaff() || caller.isMember(booking.memberId().toString()))) {
        return Future.failedFuture(notFound());
      }
      if (!caller.isAdmin() && !caller.isMember(booking.memberId().toString())) {
        return Future.failedFuture(ApiError.forbidden("Only the booking's member or an admin cancels it."));
      }
      // Event lock first, as every booking change does, so cancellations never deadlock with bookings.
      return events.lock(conn, booking.eventId())
          .compose(event -> bookings.cancel(conn, id))
          .compose(previous -> {
            if (previous == null) {
              return bookings.findById(conn, id).compose(current -> Future.failedFuture(
                  "attended".equals(current.status())
                      ? ApiError.conflict("booking_attended", "An attended booking cannot be cancelled.")
                      : ApiError.conflict("booking_cancelled", "This booking is already cancelled.")));
            }
            Future<Void> released = bookings.release(conn, booking.eventId(), previous);
            return previous.equals("confirmed")
                ? released.compose(v -> bookings.promote(conn, booking.eventId(), 1)).mapEmpty()
                : released;
          })
          .compose(v -> bookings.findById(conn, id));
    }));
  }

  public Future<Booking> checkIn(Caller caller, UUID id) {
    if (!caller.isStaff()) {
      return Future.failedFuture(ApiError.forbidden("Only admins and the event's trainer check members in."));
    }
    return pool.withTransaction(conn -> bookings.findById(conn, id).compose(booking -> {
      if (booking == null) {
        return Future.failedFuture(notFound());
      }
      return events.findById(conn, booking.eventId()).compose(event -> {
        if (!caller.isAdmin() && !event.isTrainer(caller.memberId())) {
          return Future.failedFuture(ApiError.forbidden("Only admins and the event's trainer check members in."));
        }
        return bookings.checkIn(conn, id).compose(done -> done != null ? Future.succeededFuture(done)
            : Future.failedFuture(ApiError.conflict("booking_not_confirmed", "Only a confirmed booking can be checked in.")));
      });
    }));
  }

  private static ApiError notFound() {
    return ApiError.notFound("No such booking.");
  }

  private static String codeOf(Throwable error) {
    return error instanceof ApiError api ? api.code() : "error";
  }

}
