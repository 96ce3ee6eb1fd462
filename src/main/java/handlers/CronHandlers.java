package handlers;

import cron.CronJob;
import cron.CronService;
import idempotency.IdempotencyHandler;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import web.Requests;
import web.Responses;

import java.util.UUID;

/** /v1/cron-schedule and /v1/cron-jobs: reads the validated request, calls the service, writes the response. */
public final class CronHandlers {

  private final CronService cron;

  public CronHandlers(CronService cron) {
    this.cron = cron;
  }

  public void register(RouterBuilder builder, IdempotencyHandler idempotency) {
    builder.getRoute("createCronJob").addHandler(idempotency).addHandler(this::create);
    builder.getRoute("getCronStatus").addHandler(this::status);
    builder.getRoute("listCronJobRuns").addHandler(this::runs);
    builder.getRoute("updateCronJob").addHandler(this::update);
    builder.getRoute("deleteCronJob").addHandler(this::delete);
    builder.getRoute("triggerCronJob").addHandler(idempotency).addHandler(this::trigger);
  }

  private void create(RoutingContext rc) {
    Reply.created(rc, cron.create(Requests.caller(rc), Requests.body(rc)), CronJob::toJson, "/v1/cron-jobs");
  }

  private void status(RoutingContext rc) {
    Reply.ok(rc, cron.status(Requests.caller(rc)));
  }

  private void runs(RoutingContext rc) {
    Reply.ok(rc, cron.runs(Requests.caller(rc), Requests.pathId(rc), Requests.cursor(rc), Requests.limit(rc)));
  }

  private void update(RoutingContext rc) {
    Reply.ok(rc, cron.update(Requests.caller(rc), Requests.pathId(rc), Requests.body(rc)), CronJob::toJson);
  }

  private void delete(RoutingContext rc) {
    cron.delete(Requests.caller(rc), Requests.pathId(rc))
        .onSuccess(v -> Responses.noContent(rc))
        .onFailure(rc::fail);
  }

  private void trigger(RoutingContext rc) {
    cron.trigger(Requests.caller(rc), UUID.fromString(Requests.body(rc).getString("jobId")))
        .onSuccess(run -> Responses.accepted(rc, run.toJson()))
        .onFailure(rc::fail);
  }

}
