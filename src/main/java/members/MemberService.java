package members;

import auth.Caller;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import web.ApiError;
import web.Cursor;
import web.Page;

import java.util.UUID;

/** Who may see and change which member, per API.md. A member probing another's id gets 404. */
public final class MemberService {

  private final Pool pool;
  private final MemberRepository members;

  public MemberService(Pool pool, MemberRepository members) {
    this.pool = pool;
    this.members = members;
  }

  public Future<Member> create(Caller caller, JsonObject body) {
    if (!caller.isAdmin()) {
      return Future.failedFuture(ApiError.forbidden("Only admins create members."));
    }
    return members.insert(pool, body);
  }

  public Future<Member> get(Caller caller, UUID id) {
    if (!caller.isStaff() && !caller.isMember(id.toString())) {
      return Future.failedFuture(notFound());
    }
    return members.findById(pool, id).map(MemberService::found);
  }

  public Future<Member> me(Caller caller) {
    if (caller.memberId() == null) {
      return Future.failedFuture(ApiError.notFound("Your token is linked to no member."));
    }
    return members.findById(pool, UUID.fromString(caller.memberId())).map(MemberService::found);
  }

  public Future<JsonObject> list(Caller caller, String role, Cursor after, int limit) {
    if (!caller.isStaff()) {
      return Future.failedFuture(ApiError.forbidden("Only admins and trainers list members."));
    }
    return members.list(pool, role, after, limit + 1)
        .map(rows -> Page.of(rows, limit, Member::toJson, Member::createdAt, Member::id));
  }

  public Future<Member> update(Caller caller, UUID id, JsonObject changes) {
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
    return members.update(pool, id, changes).map(MemberService::found);
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
