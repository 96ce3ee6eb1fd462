package handlers;

import idempotency.IdempotencyHandler;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import members.Member;
import members.MemberService;
import web.Requests;

/** /v1/members: reads the validated request, calls the service, writes the response. */
public final class MemberHandlers {

  private final MemberService members;

  public MemberHandlers(MemberService members) {
    this.members = members;
  }

  public void register(RouterBuilder builder, IdempotencyHandler idempotency) {
    builder.getRoute("createMember").addHandler(idempotency).addHandler(this::create);
    builder.getRoute("listMembers").addHandler(this::list);
    builder.getRoute("getMe").addHandler(this::me);
    builder.getRoute("getMember").addHandler(this::get);
    builder.getRoute("updateMember").addHandler(this::update);
  }

  private void create(RoutingContext rc) {
    Reply.created(rc, members.create(Requests.caller(rc), Requests.body(rc)), Member::toJson, "/v1/members");
  }

  private void list(RoutingContext rc) {
    Reply.ok(rc, members.list(Requests.caller(rc), Requests.query(rc, "role"), Requests.cursor(rc), Requests.limit(rc)));
  }

  private void me(RoutingContext rc) {
    Reply.ok(rc, members.me(Requests.caller(rc)));
  }

  private void get(RoutingContext rc) {
    Reply.ok(rc, members.get(Requests.caller(rc), Requests.pathId(rc)));
  }

  private void update(RoutingContext rc) {
    Reply.ok(rc, members.update(Requests.caller(rc), Requests.pathId(rc), Requests.body(rc)));
  }
}
