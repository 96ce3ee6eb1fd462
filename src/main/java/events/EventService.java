package events;

import auth.Caller;
import bookings.BookingRepository;
import bookings.RosterCursor;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import webhooks.WebhookRepository;
import web.ApiError;
import web.Cursor;
import web.Json;
import web.JsonBody;
import web.Page;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

/** Events: publishing, changes, cancellation (with every active booking) and the roster. */
public final class EventService {

  private final Pool pool;
  private final SqlClient reads;
  private final EventRepository events;
  private final BookingRepository bookings;
  private final WebhookRepository webhooks;

  public EventService(Pool pool, EventRepository events, BookingRepository bookings) {
    this(pool, pool, events, bookings, new WebhookRepository());
  }

  /** @param reads a pipelined client for the single-statement reads of browsing (see Database.readClient) */
  public EventService(Pool pool, SqlClient reads, EventRepository events, BookingRepository bookings,
                      WebhookRepository webhooks) {
    this.webhooks = webhooks;
    this.pool = pool;
    this.reads = reads;
    this.events = events;
    this.bookings = bookings;
  }

  public Future<Event> create(Caller caller, JsonObject body) {
    if (!caller.isAdmin()) {
      return Future.failedFuture(ApiError.forbidden("Only admins publish events."));
    }
    try {
      requireEndAfterStart(body.getString("startsAt"), body.getString("endsAt"));
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    return pool.withTransaction(tx -> events.insert(tx, body).compose(e -> announce(tx, "event.created", e)));
  }

  /** Queues the change for the webhooks that listen, in the change's transaction. */
  private Future<Event> announce(SqlClient tx, String type, Event event) {
    return webhooks.queue(tx, type, event.toJson()).map(event);
  }

  public Future<Event> get(UUID id) {
    return events.findById(reads, id).map(EventService::found);
  }

  public Future<JsonBody> list(OffsetDateTime from, OffsetDateTime to, UUID trainerId, String status, Cursor after,
                               int limit) {
    return events.list(reads, from, to, trainerId, status, after, limit + 1)
        .map(rows -> Page.streamed(rows, limit, Event::startsAt, Event::id));
  }

  /** Applies the changes; extra seats from a larger capacity go to the waitlist first, in order. */
  public Future<Event> update(Caller caller, UUID id, JsonObject changes) {
    if (!caller.isAdmin()) {
      return Future.failedFuture(ApiError.forbidden("Only admins change events."));
    }
    return pool.withTransaction(conn -> events.update(conn, id, changes).compose(event -> {
      if (event == null) {
        return Future.failedFuture(notFound());
      }
      int free = Math.max(0, event.capacity() - event.bookedCount());
      if (free == 0 || event.waitlistCount() == 0) {
        return announce(conn, "event.updated", event);
      }
      return bookings.promote(conn, id, free).compose(promoted -> events.findById(conn, id))
          .compose(promoted -> announce(conn, "event.updated", promoted));
    }));
  }

  /** Cancels the event and every active booking in one transaction; each member gets an outbox row. */
  public Future<Event> cancel(Caller caller, UUID id) {
    if (!caller.isAdmin()) {
      return Future.failedFuture(ApiError.forbidden("Only admins cancel events."));
    }
    return pool.withTransaction(conn -> events.markCancelled(conn, id).compose(event -> {
      if (event == null) {
        return events.findById(conn, id).compose(existing -> Future.failedFuture(existing == null ? notFound()
            : ApiError.conflict("event_cancelled", "This event is already cancelled.")));
      }
      return bookings.cancelAllOfEvent(conn, id).compose(n -> events.recount(conn, id))
          .compose(cancelled -> announce(conn, "event.cancelled", cancelled));
    }));
  }

  /**
   * A page of the roster: up to {@code limit} bookings in roster order (seat holders, then the waitlist), split
   * into {@code confirmed} and {@code waitlisted} as before, with the event and the {@code nextCursor}.
   */
  public Future<JsonObject> roster(Caller caller, UUID id, RosterCursor after, int limit) {
    if (!caller.isStaff()) {
      return Future.failedFuture(ApiError.forbidden("Only admins and the event's trainer see its roster."));
    }
    return events.findById(pool, id).compose(event -> {
      if (event == null) {
        return Future.failedFuture(notFound());
      }
      if (!caller.isAdmin() && !event.isTrainer(caller.memberId())) {
        return Future.failedFuture(ApiError.forbidden("Only admins and the event's trainer see its roster."));
      }
      return bookings.roster(pool, id, after, limit + 1).map(entries -> rosterPage(event, entries, limit));
    });
  }

  private static JsonObject rosterPage(Event event, List<BookingRepository.RosterEntry> entries, int limit) {
    JsonArray confirmed = new JsonArray();
    JsonArray waitlisted = new JsonArray();
    List<BookingRepository.RosterEntry> page = entries.subList(0, Math.min(limit, entries.size()));
    page.forEach(e -> ("waitlisted".equals(e.booking().status()) ? waitlisted : confirmed).add(e.toJson()));
    String next = entries.size() > limit ? page.get(page.size() - 1).position().encode() : null;
    return new JsonObject().put("event", event.toJson()).put("confirmed", confirmed).put("waitlisted", waitlisted)
        .put("nextCursor", next);
  }

  private static void requireEndAfterStart(String startsAt, String endsAt) {
    if (!Json.parseTime("endsAt", endsAt).isAfter(Json.parseTime("startsAt", startsAt))) {
      throw ApiError.invalid("endsAt", "must be after startsAt");
    }
  }

  private static Event found(Event event) {
    if (event == null) {
      throw notFound();
    }
    return event;
  }

  private static ApiError notFound() {
    return ApiError.notFound("No such event.");
  }
}
