package members;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import web.ApiError;
import web.Cursor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** SQL for members. Unique-constraint violations become the contract's 409 codes here. */
public final class MemberRepository {

  private static final String COLUMNS =
      "id, email, name, phone, role, status, subject, channels, push_token, created_at, updated_at";

  /** JSON field → column, for the fields a PATCH may change. */
  private static final Map<String, String> UPDATABLE = new LinkedHashMap<>();

  static {
    UPDATABLE.put("name", "name");
    UPDATABLE.put("phone", "phone");
    UPDATABLE.put("role", "role");
    UPDATABLE.put("status", "status");
    UPDATABLE.put("channels", "channels");
    UPDATABLE.put("pushToken", "push_token");
  }

  public Future<Member> insert(SqlClient db, JsonObject m) {
    return db.preparedQuery("INSERT INTO members (email, name, phone, role, subject, channels, push_token) "
            + "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING " + COLUMNS)
        .execute(Tuple.of(m.getString("email"), m.getString("name"), m.getString("phone"),
            m.getString("role", "member"), m.getString("subject"),
            channels(m.getJsonArray("channels", new JsonArray().add("email"))), m.getString("pushToken")))
        .map(rows -> Member.from(rows.iterator().next()))
        .recover(MemberRepository::conflicts);
  }

  public Future<Member> findById(SqlClient db, UUID id) {
    return db.preparedQuery("SELECT " + COLUMNS + " FROM members WHERE id = $1")
        .execute(Tuple.of(id))
        .map(MemberRepository::firstOrNull);
  }

  public Future<Member> findBySubject(SqlClient db, String subject) {
    return db.preparedQuery("SELECT " + COLUMNS + " FROM members WHERE subject = $1")
        .execute(Tuple.of(subject))
        .map(MemberRepository::firstOrNull);
  }

  /**
   * Member ids of those of these subjects that are linked (subject → id); a subject no member carries is absent.
   * Only the two columns the lookup needs: it runs on every first request of a token.
   */
  public Future<Map<String, UUID>> idsBySubject(SqlClient db, List<String> subjects) {
    return db.preparedQuery("SELECT id, subject FROM members WHERE subject = ANY($1)")
        .execute(Tuple.of(subjects.toArray(String[]::new)))
        .map(rows -> {
          Map<String, UUID> ids = new java.util.HashMap<>(rows.size() * 2);
          rows.forEach(r -> ids.put(r.getString("subject"), r.getUUID("id")));
          return ids;
        });
  }

  public Future<List<Member>> list(SqlClient db, String role, Cursor after, int fetch) {
    String sql = "SELECT " + COLUMNS + " FROM members WHERE ($1::text IS NULL OR role = $1) "
        + "AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3)) ORDER BY created_at, id LIMIT $4";
    return db.preparedQuery(sql)
        .execute(Tuple.of(role, after == null ? null : after.key(), after == null ? null : after.id(), fetch))
        .map(rows -> {
          List<Member> list = new ArrayList<>();
          rows.forEach(r -> list.add(Member.from(r)));
          return list;
        });
  }

  /** Applies the given fields; the caller has checked who may change what. */
  /** A member's phone and its changes in the last 24 h, the row locked for the change; null when no such member. */
  public Future<PhoneChanges> phoneChanges(SqlClient tx, UUID id) {
    return tx.preparedQuery("SELECT m.phone, count(c.changed_at) AS changes, "
            + "ceil(extract(epoch FROM min(c.changed_at) + interval '1 day' - now()))::bigint AS next_in "
            + "FROM (SELECT id, phone FROM members WHERE id = $1 FOR UPDATE) m "
            + "LEFT JOIN member_phone_changes c ON c.member_id = m.id AND c.changed_at > now() - interval '1 day' "
            + "GROUP BY m.phone")
        .execute(Tuple.of(id))
        .map(rows -> {
          if (rows.size() == 0) {
            return null;
          }
          Row r = rows.iterator().next();
          Long next = r.getLong("next_in");
          return new PhoneChanges(r.getString("phone"), r.getLong("changes"), next == null ? 0 : next);
        });
  }

  /** @param secondsUntilNext until the oldest change of the last 24 h no longer counts */
  public record PhoneChanges(String phone, long today, long secondsUntilNext) {
  }

  public Future<Void> recordPhoneChange(SqlClient tx, UUID id) {
    return tx.preparedQuery("INSERT INTO member_phone_changes (member_id) VALUES ($1)").execute(Tuple.of(id)).mapEmpty();
  }

  public Future<Member> update(SqlClient db, UUID id, JsonObject changes) {
    List<String> sets = new ArrayList<>();
    Tuple params = Tuple.tuple().addUUID(id);
    UPDATABLE.forEach((field, column) -> {
      if (changes.containsKey(field)) {
        Object value = changes.getValue(field);
        params.addValue(value instanceof JsonArray a ? channels(a) : value);
        sets.add(column + " = $" + params.size());
      }
    });
    sets.add("updated_at = now()");
    return db.preparedQuery("UPDATE members SET " + String.join(", ", sets) + " WHERE id = $1 RETURNING " + COLUMNS)
        .execute(params)
        .map(MemberRepository::firstOrNull)
        .recover(MemberRepository::conflicts);
  }

  /*
   * What deliveries learn about an address. Each changes the member only while it still holds the address the
   * provider refused: a member who registered a new token or number meanwhile keeps it. True when it changed.
   */

  /** The push provider no longer knows this device token. */
  public Future<Boolean> clearPushToken(SqlClient db, UUID id, String token) {
    return changed(db, "UPDATE members SET push_token = NULL, updated_at = now() WHERE id = $1 AND push_token = $2",
        Tuple.of(id, token));
  }

  /** The number cannot receive SMS. The sms channel stays chosen: a new number makes it work again. */
  public Future<Boolean> clearPhone(SqlClient db, UUID id, String phone) {
    return changed(db, "UPDATE members SET phone = NULL, updated_at = now() WHERE id = $1 AND phone = $2",
        Tuple.of(id, phone));
  }

  /**
   * The number's owner opted out of our SMS: sms leaves the member's channels (e-mail takes its place when it
   * was the only one, as a member always has a channel). The phone stays: it is still the member's.
   */
  public Future<Boolean> stopSms(SqlClient db, UUID id, String phone) {
    return changed(db, "UPDATE members SET channels = CASE WHEN cardinality(array_remove(channels, 'sms')) = 0 "
        + "THEN ARRAY['email'] ELSE array_remove(channels, 'sms') END, updated_at = now() "
        + "WHERE id = $1 AND phone = $2 AND 'sms' = ANY(channels)", Tuple.of(id, phone));
  }

  private static Future<Boolean> changed(SqlClient db, String sql, Tuple params) {
    return db.preparedQuery(sql).execute(params).map(rows -> rows.rowCount() > 0);
  }

  private static String[] channels(JsonArray array) {
    String[] out = new String[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.getString(i);
    }
    return out;
  }

  private static Member firstOrNull(RowSet<Row> rows) {
    return rows.size() == 0 ? null : Member.from(rows.iterator().next());
  }

  private static <T> Future<T> conflicts(Throwable error) {
    if (error instanceof PgException pg && "23505".equals(pg.getSqlState())) {
      String constraint = String.valueOf(pg.getConstraint());
      if (constraint.contains("email")) {
        return Future.failedFuture(ApiError.conflict("member_email_taken", "A member with this e-mail already exists."));
      }
      if (constraint.contains("subject")) {
        return Future.failedFuture(ApiError.conflict("member_subject_taken", "Another member is already linked to this subject."));
      }
    }
    return Future.failedFuture(error);
  }
}
