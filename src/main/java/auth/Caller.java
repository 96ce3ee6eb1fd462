package auth;

import java.util.Set;

/**
 * Who is calling: the verified token's subject and roles, and the member the subject is linked to
 * (null when the token belongs to no member). {@code scope} is derived from the issuer and subject (see the
 * four-argument constructor), built once: rate buckets and idempotency keys look it up on every request.
 */
public record Caller(String issuer, String subject, Set<String> roles, String memberId, String scope) {

  public static final String KEY = "roster.caller";

  public Caller(String issuer, String subject, Set<String> roles, String memberId) {
    this(issuer, subject, roles, memberId, issuer + " " + subject);
  }

  public boolean isAdmin() {
    return roles.contains("admin");
  }

  public boolean isTrainer() {
    return roles.contains("trainer");
  }

  /** Admins and trainers manage other members' bookings and see all members. */
  public boolean isStaff() {
    return isAdmin() || isTrainer();
  }

  public boolean isMember(String id) {
    return memberId != null && memberId.equals(id);
  }

  /** Idempotency keys are scoped per caller: the issuer and subject together name one. */
  @Override
  public String scope() {
    return scope;
  }
}
