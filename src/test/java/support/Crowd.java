package support;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Many members at once, for burst tests: inserted in one JDBC batch, each with a token for its subject. */
public record Crowd(String id, String subject, String email, String token) {

  public static List<Crowd> insert(TestDatabase db, TestIssuer issuer, String prefix, int n) {
    String run = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      try (PreparedStatement st = c.prepareStatement(
          "INSERT INTO members (email, name, role, subject) VALUES (?, ?, 'member', ?)")) {
        for (int i = 0; i < n; i++) {
          String subject = run + "-" + i;
          st.setString(1, subject + "@example.com");
          st.setString(2, "Crowd member " + i);
          st.setString(3, subject);
          st.addBatch();
        }
        st.executeBatch();
      }
      c.commit();
      Map<String, String> ids = new HashMap<>();
      try (PreparedStatement st = c.prepareStatement("SELECT id, subject FROM members WHERE subject LIKE ?")) {
        st.setString(1, run + "-%");
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            ids.put(rs.getString("subject"), rs.getString("id"));
          }
        }
      }
      if (ids.size() != n) {
        throw new IllegalStateException("inserted " + ids.size() + " of " + n + " members");
      }
      List<Crowd> members = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        String subject = run + "-" + i;
        members.add(new Crowd(ids.get(subject), subject, subject + "@example.com", issuer.token(subject, "member")));
      }
      return members;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
