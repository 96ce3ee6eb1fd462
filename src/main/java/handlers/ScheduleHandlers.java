package handlers;

import idempotency.IdempotencyHandler;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import schedules.Schedule;
import schedules.ScheduleService;
import web.Requests;
import web.Responses;

/** /v1/schedules: reads the validated request, calls the service, writes the response. */
public final class ScheduleHandlers {

  private final ScheduleService schedules;

  public ScheduleHandlers(ScheduleService schedules) {
    this.schedules = schedules;
  }

  public void register(RouterBuilder builder, IdempotencyHandler idempotency) {
    builder.getRoute("createSchedule").addHandler(idempotency).addHandler(this::create);
    builder.getRoute("listSchedules").addHandler(this::list);
    builder.getRoute("getSchedule").addHandler(this::get);
    builder.getRoute("deleteSchedule").addHandler(this::delete);
  }

  private void create(RoutingContext rc) {
    Reply.created(rc, schedules.create(Requests.caller(rc), Requests.body(rc)), Schedule::toJson, "/v1/schedules");
  }

  private void list(RoutingContext rc) {
    Reply.ok(rc, schedules.list(Requests.caller(rc), Requests.cursor(rc), Requests.limit(rc)));
  }

  private void get(RoutingContext rc) {
    Reply.ok(rc, schedules.get(Requests.caller(rc), Requests.pathId(rc)), Schedule::toJson);
  }

  private void delete(RoutingContext rc) {
    schedules.delete(Requests.caller(rc), Requests.pathId(rc))
        .onSuccess(ignored -> Responses.noContent(rc))
        .onFailure(rc::fail);
  }
}
