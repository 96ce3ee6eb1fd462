package bookings;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import db.SqlFile;
import members.Member;
import webhooks.WebhookRepository;
import web.ApiError;
import web.Cursor;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * SQL for bookings. Seats are taken by conditional updates of the event row (whose row lock orders
 * the bookings of one event); every change writes its outbox row in the same statement.
 */
public final class BookingRepository {

  /** Outbox kinds; the notification relay and workers key their templates on these. */
  public static final String BOOKING_CONFIRMED = "booking.confirmed";
  public static final String BOOKING_WAITLISTED = "booking.waitlisted";
  public static final String BOOKING_PROMOTED = "booking.promoted";
  public static final String BOOKING_CANCELLED = "booking.cancelled";
  public static final String BOOKING_ATTENDED = "booking.attended";
  public static final String EVENT_CANCELLED = "event.cancelled";

  /** The booking transaction's statements, shared with the benchmark's baseline (see sql/booking.sql). */
  static final SqlFile BOOKING_SQL = SqlFile.load("sql/booking.sql");

  private static final String POSITION = "CASE WHEN b.status = 'waitlisted' THEN (SELECT count(*) FROM bookings w "
      + "WHERE w.event_id = b.event_id AND w.status = 'waitlisted' AND w.seq <= b.seq) END AS waitlist_position";
  private static final String COLUMNS = "b.id, b.event_id, b.member_id, b.status, b.created_at, b.updated_at, " + POSITION;
  private static final String OUTBOX_PAYLOAD = "jsonb_build_object('bookingId', id, 'eventId', event_id, "
      + "'memberId', member_id, 'status', status)";
  /** The booking columns a webhook shows (see {@link Booking#fromColumns}). */
  private static final String CHANGED = "id, event_id, member_id, status, created_at, updated_at";

  /** The member's standing for a new booking: null when there is no such member. */
  public record Eligibility(String memberStatus, boolean alreadyBooked) {
  }

  public Future<Eligibility> eligibility(SqlClient db, UUID eventId, UUID memberId) {
    return db.preparedQuery(BOOKING_SQL.get("eligibility"))
        .execute(Tuple.of(eventId, memberId))
        .map(rows -> rows.size() == 0 ? null
            : new Eligibility(rows.iterator().next().getString("status"), rows.iterator().next().getBoolean("booked")));
  }

  /** Takes a seat if one is left on a bookable event; returns false otherwise. */
  public Future<Boolean> takeSeat(SqlClient db, UUID eventId) {
    return db.preparedQuery(BOOKING_SQL.get("take_seat"))
        .execute(Tuple.of(eventId))
        .map(rows -> rows.rowCount() == 1);
  }

  /** Takes a waitlist place when the seats are gone; returns the place (1-based), or null when full. */
  public Future<Integer> takeWaitlistPlace(SqlClient db, UUID eventId) {
    return db.preparedQuery(BOOKING_SQL.get("take_waitlist_place"))
        .execute(Tuple.of(eventId))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getInteger("waitlist_count"));
  }

  /** Inserts the booking and its outbox row; a concurrent duplicate is 409 already_booked. */
  public Future<Booking> insert(SqlClient db, UUID eventId, UUID memberId, String status, Integer position) {
    String kind = status.equals("confirmed") ? BOOKING_CONFIRMED : BOOKING_WAITLISTED;
    return db.preparedQuery(BOOKING_SQL.get("insert_booking"))
        .execute(Tuple.of(eventId, memberId, status, kind, trace(), requestId()))
        .map(rows -> Booking.from(rows.iterator().next()).withPosition(position))
        .recover(error -> {
          if (error instanceof PgException pg && "23505".equals(pg.getSqlState())) {
            return Future.failedFuture(alreadyBooked());
          }
          return Future.failedFuture(error);
        });
  }

  /** The outbox rows a request writes carry its trace context (see tracing/TraceStamp.java). */
  private static String trace() {
    return tracing.TraceStamp.current().traceparent();
  }

  private static String requestId() {
    return logging.LogContext.requestId();
  }

  public static ApiError alreadyBooked() {
    return Refusal.ALREADY_BOOKED.error();
  }

  /**
   * Why a booking request is refused, in the order its rules are checked, with the code book_batch answers
   * (db/migration/V9__booking_batch.sql): the one place the answers of both booking paths are written.
   */
  enum Refusal {
    MEMBER_NOT_FOUND("not_found"),
    MEMBER_SUSPENDED("member_suspended"),
    ALREADY_BOOKED("already_booked"),
    EVENT_NOT_FOUND("event_not_found"),
    EVENT_NOT_BOOKABLE("event_not_bookable"),
    EVENT_FULL("event_full");

    private final String code;

    Refusal(String code) {
      this.code = code;
    }

    static Refusal of(String code) {
      for (Refusal refusal : values()) {
        if (refusal.code.equals(code)) {
          return refusal;
        }
      }
      throw new IllegalStateException("unknown booking refusal: " + code);
    }

    ApiError error() {
      return switch (this) {
        case MEMBER_NOT_FOUND -> ApiError.notFound("No such member.");
        case MEMBER_SUSPENDED -> ApiError.forbidden(code, "This member is suspended and cannot book.");
        case ALREADY_BOOKED -> ApiError.conflict(code, "This member already has a booking for this event.");
        case EVENT_NOT_FOUND -> ApiError.notFound(code, "No such event.");
        case EVENT_NOT_BOOKABLE -> ApiError.conflict(code, "This event is cancelled or has started.");
        case EVENT_FULL -> ApiError.conflict(code, "No seats and no waitlist places are left.");
      };
    }
  }

  public Future<Booking> findById(SqlClient db, UUID id) {
    return db.preparedQuery("SELECT " + COLUMNS + " FROM bookings b WHERE b.id = $1")
        .execute(Tuple.of(id))
        .map(BookingRepository::firstOrNull);
  }

  /** The first page starts after the smallest key: a bound the index takes, where "$4 IS NULL OR ..." is none. */
  private static final String LIST_PAGE = " AND ($3::text IS NULL OR b.status = $3) AND (b.created_at, b.id) > "
      + "(coalesce($4::timestamptz, '-infinity'), coalesce($5::uuid, '00000000-0000-0000-0000-000000000000')) "
      + "ORDER BY b.created_at, b.id LIMIT $6";
  // One statement per filter shape, each walking its own index in page order: optional filters written as
  // "$1 IS NULL OR ..." cannot be index conditions of a cached (generic) plan, which then read every booking.
  private static final String LIST_OF_EVENT = "SELECT " + COLUMNS + " FROM bookings b "
      + "WHERE b.event_id = $1 AND ($2::uuid IS NULL OR b.member_id = $2)" + LIST_PAGE;
  private static final String LIST_OF_MEMBER = "SELECT " + COLUMNS + " FROM bookings b "
      + "WHERE b.member_id = $2 AND $1::uuid IS NULL" + LIST_PAGE;
  private static final String LIST_ALL = "SELECT " + COLUMNS + " FROM bookings b "
      + "WHERE $1::uuid IS NULL AND $2::uuid IS NULL" + LIST_PAGE;

  public Future<List<Booking>> list(SqlClient db, UUID eventId, UUID memberId, String status, Cursor after, int fetch) {
    String sql = eventId != null ? LIST_OF_EVENT : memberId != null ? LIST_OF_MEMBER : LIST_ALL;
    return db.preparedQuery(sql)
        .execute(Tuple.tuple().addUUID(eventId).addUUID(memberId).addString(status)
            .addOffsetDateTime(after == null ? null : after.key()).addUUID(after == null ? null : after.id())
            .addInteger(fetch))
        .map(BookingRepository::all);
  }

  /**
   * Cancels a confirmed or waitlisted booking (the caller holds the event lock) and writes its outbox row.
   * @return the status it had before, or null when it was not cancellable
   */
  public Future<String> cancel(SqlClient db, UUID id) {
    return db.preparedQuery("WITH old AS (SELECT id, status FROM bookings WHERE id = $1 FOR UPDATE), "
            + "c AS (UPDATE bookings b SET status = 'cancelled', updated_at = now() FROM old "
            + "WHERE b.id = old.id AND old.status IN ('confirmed', 'waitlisted') "
            + "RETURNING b.id, b.event_id, b.member_id, b.status, b.created_at, b.updated_at, old.status AS previous), "
            + "o AS (INSERT INTO outbox (kind, payload, traceparent, request_id) SELECT $2, " + OUTBOX_PAYLOAD + " || "
            + WebhookRepository.webhookFields("$2::text", "to_jsonb(c) - 'previous'") + ", $3, $4 FROM c) "
            + "SELECT previous FROM c")
        .execute(Tuple.of(id, BOOKING_CANCELLED, trace(), requestId()))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getString("previous"));
  }

  /** Gives back the seat or waitlist place a cancelled booking held. */
  public Future<Void> release(SqlClient db, UUID eventId, String previousStatus) {
    String column = previousStatus.equals("waitlisted") ? "waitlist_count" : "booked_count";
    return db.preparedQuery("UPDATE events SET " + column + " = " + column + " - 1, updated_at = now() WHERE id = $1")
        .execute(Tuple.of(eventId))
        .mapEmpty();
  }

  /**
   * Moves up to {@code seats} waitlisted bookings, first come first served, into free seats of a
   * scheduled event that has not started, with their outbox rows and the event's counters.
   * @return the number promoted
   */
  public Future<Integer> promote(SqlClient db, UUID eventId, int seats) {
    if (seats <= 0) {
      return Future.succeededFuture(0);
    }
    return db.preparedQuery("WITH next AS (SELECT b.id FROM bookings b JOIN events e ON e.id = b.event_id "
            + "WHERE b.event_id = $1 AND b.status = 'waitlisted' AND e.status = 'scheduled' AND e.starts_at > now() "
            + "ORDER BY b.seq LIMIT $2 FOR UPDATE OF b), "
            + "p AS (UPDATE bookings b SET status = 'confirmed', updated_at = now() FROM next WHERE b.id = next.id "
            + "RETURNING b.id, b.event_id, b.member_id, b.status, b.created_at, b.updated_at), "
            + "o AS (INSERT INTO outbox (kind, payload, traceparent, request_id) SELECT $3, " + OUTBOX_PAYLOAD + " || "
            + WebhookRepository.webhookFields("$3::text", "to_jsonb(p)") + ", $4, $5 FROM p), "
            + "e AS (UPDATE events SET booked_count = booked_count + (SELECT count(*) FROM p), "
            + "waitlist_count = waitlist_count - (SELECT count(*) FROM p), updated_at = now() "
            + "WHERE id = $1 AND EXISTS (SELECT 1 FROM p)) "
            + "SELECT count(*) AS promoted FROM p")
        .execute(Tuple.of(eventId, seats, BOOKING_PROMOTED, trace(), requestId()))
        .map(rows -> rows.iterator().next().getLong("promoted").intValue());
  }

  /** Cancels every active booking of a cancelled event, each with an outbox row for its member. */
  public Future<Integer> cancelAllOfEvent(SqlClient db, UUID eventId) {
    return db.preparedQuery("WITH c AS (UPDATE bookings SET status = 'cancelled', updated_at = now() "
            + "WHERE event_id = $1 AND status IN ('confirmed', 'waitlisted') "
            + "RETURNING " + CHANGED + "), "
            // members hear that the event was cancelled; webhooks see each booking cancelled
            + "o AS (INSERT INTO outbox (kind, payload, traceparent, request_id) SELECT $2, " + OUTBOX_PAYLOAD + " || "
            + WebhookRepository.webhookFields("$5::text", "to_jsonb(c)") + ", $3, $4 FROM c) "
            + "SELECT count(*) AS cancelled FROM c")
        .execute(Tuple.of(eventId, EVENT_CANCELLED, trace(), requestId(), BOOKING_CANCELLED))
        .map(rows -> rows.iterator().next().getLong("cancelled").intValue());
  }

  /** Confirmed → attended. @return the booking, or null when it was not confirmed */
  public Future<Booking> checkIn(SqlClient db, UUID id) {
    return db.preparedQuery("WITH b AS (UPDATE bookings SET status = 'attended', updated_at = now() "
            + "WHERE id = $1 AND status = 'confirmed' RETURNING *), "
            // members are not notified of their own check-in: an outbox row only when a webhook listens
            + "o AS (INSERT INTO outbox (kind, payload) SELECT 'webhook', "
            + WebhookRepository.webhookFields("$2::text", "jsonb_build_object('id', id, 'event_id', event_id, "
            + "'member_id', member_id, 'status', status, 'created_at', created_at, 'updated_at', updated_at)")
            + " FROM b WHERE " + WebhookRepository.subscribers("$2::text") + " IS NOT NULL) "
            + "SELECT b.*, NULL::bigint AS waitlist_position FROM b")
        .execute(Tuple.of(id, BOOKING_ATTENDED))
        .map(BookingRepository::firstOrNull);
  }

  /**
   * One page of an event's active bookings with their members, for the roster: seat holders (confirmed, attended)
   * in arrival order, then the waitlist in its order, starting after {@code after}. Only the member's summary
   * (id, name, status) is read: a roster shows who comes, not how to reach them.
   */
  public Future<List<RosterEntry>> roster(SqlClient db, UUID eventId, RosterCursor after, int limit) {
    return db.preparedQuery("SELECT " + COLUMNS + ", b.seq, " + ROSTER_GROUP + " AS roster_group, "
            + "m.name AS m_name, m.status AS m_status "
            + "FROM bookings b JOIN members m ON m.id = b.member_id "
            + "WHERE b.event_id = $1 AND b.status IN ('confirmed', 'attended', 'waitlisted') "
            + "AND (" + ROSTER_GROUP + ", b.seq) > ($2, $3) ORDER BY roster_group, b.seq LIMIT $4")
        .execute(Tuple.of(eventId, after.group(), after.seq(), limit))
        .map(rows -> {
          List<RosterEntry> entries = new ArrayList<>();
          rows.forEach(r -> {
            Booking booking = Booking.from(r);
            entries.add(new RosterEntry(booking,
                Member.summaryJson(booking.memberId(), r.getString("m_name"), r.getString("m_status")),
                new RosterCursor(r.getInteger("roster_group"), r.getLong("seq"))));
          });
          return entries;
        });
  }

  /** 0 for seat holders, 1 for the waitlist: the roster's first sort key. */
  private static final String ROSTER_GROUP = "CASE WHEN b.status = 'waitlisted' THEN 1 ELSE 0 END";

  /** A roster line, and where it stands in the roster's order. */
  public record RosterEntry(Booking booking, JsonObject member, RosterCursor position) {
    public JsonObject toJson() {
      return booking.toJson().put("member", member);
    }
  }

  private static Booking firstOrNull(RowSet<Row> rows) {
    return rows.size() == 0 ? null : Booking.from(rows.iterator().next());
  }

  private static List<Booking> all(RowSet<Row> rows) {
    List<Booking> list = new ArrayList<>();
    rows.forEach(r -> list.add(Booking.from(r)));
    return list;
  }
}
