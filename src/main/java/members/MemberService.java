package members;

import auth.Caller;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import webhooks.WebhookRepository;
import web.ApiError;
import web.Cursor;
import web.Page;

import java.util.UUID;

/**
 * Who may see and change which member, per openapi.yaml. A member probing another's id gets 404. Admins and the
 * member itself see the whole member; trainers see other members' summaries (id, name, status), without the
 * e-mail, phone, push token or identity link they do not need.
 */
public final class MemberService {

  private final Pool pool;
  private final MemberRepository members;
  private final WebhookRepository webhooks;
  private final int phoneChangesPerDay;

  /** @param phoneChangesPerDay how often a member may change its own phone in 24 h (an SMS target is costly) */
  public MemberService(Pool pool, MemberRepository members, WebhookRepository webhooks, int phoneChangesPerDay) {
    this.pool = pool;
    this.members = members;
    this.webhooks = webhooks;
    this.phoneChangesPerDay = phoneChangesPerDay;
  }

  public Future<Member> create(Caller caller, JsonObject body) {
    if (!caller.isAdmin()) {
      return Future.failedFuture(ApiError.forbidden("Only admins create members."));
    }
    return pool.withTransaction(tx -> members.insert(tx, body).compose(m -> announce(tx, "member.created", m)));
  }

  /** Queues the change for the webhooks that listen, in the change's transaction; null (not found) passes. */
  private Future<Member> announce(io.vertx.sqlclient.SqlClient tx, String type, Member member) {
    return member == null ? Future.succeededFuture()
        : webhooks.queue(tx, type, member.toJson()).map(member);
  }

  public Future<JsonObject> get(Caller caller, UUID id) {
    if (!caller.isStaff() && !caller.isMember(id.toString())) {
      return Future.failedFuture(notFound());
    }
    return members.findById(pool, id).map(MemberService::found).map(m -> view(caller, m));
  }

  public Future<JsonObject> me(Caller caller) {
    if (caller.memberId() == null) {
      return Future.failedFuture(ApiError.notFound("Your token is linked to no member."));
    }
    return members.findById(pool, UUID.fromString(caller.memberId())).map(MemberService::found)
        .map(m -> view(caller, m));
  }

  public Future<JsonObject> list(Caller caller, String role, Cursor after, int limit) {
    if (!caller.isStaff()) {
      return Future.failedFuture(ApiError.forbidden("Only admins and trainers list members."));
    }
    return members.list(pool, role, after, limit + 1)
        // one shape per list: whole members for admins, summaries for trainers (their own entry included)
        .map(rows -> Page.of(rows, limit, caller.isAdmin() ? Member::toJson : Member::toSummaryJson,
            Member::createdAt, Member::id));
  }

  public Future<JsonObject> update(Caller caller, UUID id, JsonObject changes) {
    if (!caller.isAdmin()) {
      if (!caller.isMember(id.toString())) {
        return Future.failedFuture(caller.isTrainer()
            ? ApiError.forbidden("Only admins change other members.")
            : notFound());
      }
      if (changes.containsKey("role") || changes.containsKey("status")) {
        return Future.failedFuture(ApiError.forbidden("Only admins change a member's role or status."));
      }
    }
    // admins are exempt from the phone limit: fixing a number for a member is their job
    boolean limited = !caller.isAdmin() && changes.containsKey("phone");
    Future<Member> updated = pool.withTransaction(tx ->
        (limited ? allowPhoneChange(tx, id, changes.getString("phone")) : Future.<Void>succeededFuture())
            .compose(v -> members.update(tx, id, changes))
            .compose(m -> announce(tx, "member.updated", m)));
    return updated.map(MemberService::found).map(m -> view(caller, m));
  }

  /** A guard: a new phone number is recorded, unless the member has changed it too often today (429). */
  private Future<Void> allowPhoneChange(io.vertx.sqlclient.SqlClient tx, UUID id, String phone) {
    return members.phoneChanges(tx, id).compose(state -> {
      if (state == null || java.util.Objects.equals(state.phone(), phone)) {
        return Future.succeededFuture();
      }
      if (state.today() >= phoneChangesPerDay) {
        return Future.failedFuture(ApiError.rateLimited("The phone number was changed " + state.today()
            + " times in the last 24 hours; that is the most allowed.", state.secondsUntilNext()));
      }
      return members.recordPhoneChange(tx, id);
    });
  }

  /** The whole member for admins and the member itself; the summary for anyone else allowed to see it. */
  private static JsonObject view(Caller caller, Member member) {
    return caller.isAdmin() || caller.isMember(member.id().toString()) ? member.toJson() : member.toSummaryJson();
  }

  private static Member found(Member member) {
    if (member == null) {
      throw notFound();
    }
    return member;
  }

  private static ApiError notFound() {
    return ApiError.notFound("No such member.");
  }
}
