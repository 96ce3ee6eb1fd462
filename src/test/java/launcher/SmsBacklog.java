package launcher;

import support.TestDatabase;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A backlog of notifications, written in one transaction as bookings write them: {@code n} members who chose SMS
 * (each with its own phone number), a confirmed booking of one event for each, and the booking's outbox row.
 * The phone numbers are how the tests count what the SMS provider received per notification.
 */
final class SmsBacklog {

  private SmsBacklog() {
  }

  /** Inserts the backlog (the schema must exist: a node has started); returns the members' phone numbers. */
  static List<String> insert(TestDatabase db, int n) throws SQLException {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      try (PreparedStatement st = c.prepareStatement(
          "WITH e AS (INSERT INTO events (title, starts_at, ends_at, capacity, booked_count) "
              + "VALUES ('Crash test class', now() + interval '2 days', now() + interval '2 days 1 hour', ?, ?) "
              + "RETURNING id), "
              + "m AS (INSERT INTO members (email, name, phone, channels) "
              + "SELECT 'sms-' || i || '@example.com', 'SMS member ' || i, '+1555' || lpad(i::text, 7, '0'), "
              + "'{sms}' FROM generate_series(1, ?) i RETURNING id), "
              + "b AS (INSERT INTO bookings (event_id, member_id, status) SELECT e.id, m.id, 'confirmed' FROM e, m "
              + "RETURNING id, event_id, member_id, status) "
              + "INSERT INTO outbox (kind, payload) SELECT 'booking.confirmed', jsonb_build_object('bookingId', id, "
              + "'eventId', event_id, 'memberId', member_id, 'status', status) FROM b")) {
        st.setInt(1, n);
        st.setInt(2, n);
        st.setInt(3, n);
        if (st.executeUpdate() != n) {
          throw new IllegalStateException("the backlog is not " + n + " outbox rows");
        }
      }
      c.commit();
    }
    List<String> phones = new ArrayList<>(n);
    for (int i = 1; i <= n; i++) {
      phones.add(String.format("+1555%07d", i));
    }
    return phones;
  }

  /** What the provider received for a backlog: messages, extra copies (and to whom), phones that got none. */
  record Tally(int messages, int duplicates, Set<String> duplicated, List<String> lost) {

    static Tally of(List<String> phones, Map<String, Integer> perRecipient) {
      Set<String> wanted = Set.copyOf(phones);
      Map<String, Integer> ours = perRecipient.entrySet().stream().filter(e -> wanted.contains(e.getKey()))
          .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
      return new Tally(ours.values().stream().mapToInt(Integer::intValue).sum(),
          ours.values().stream().mapToInt(c -> c - 1).sum(),
          ours.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).collect(Collectors.toSet()),
          phones.stream().filter(p -> !ours.containsKey(p)).toList());
    }
  }
}
