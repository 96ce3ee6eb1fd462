package handlers;

import bookings.RosterCursor;
import events.Event;
import events.EventService;
import idempotency.IdempotencyHandler;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import web.Requests;

/** /v1/events: reads the validated request, calls the service, writes the response. */
public final class EventHandlers {

  private final EventService events;

  public EventHandlers(EventService events) {
    this.events = events;
  }

  public void register(RouterBuilder builder, IdempotencyHandler idempotency) {
    builder.getRoute("createEvent").addHandler(idempotency).addHandler(this::create);
    builder.getRoute("listEvents").addHandler(this::list);
    builder.getRoute("getEvent").addHandler(this::get);
    builder.getRoute("updateEvent").addHandler(this::update);
    builder.getRoute("cancelEvent").addHandler(idempotency).addHandler(this::cancel);
    builder.getRoute("getEventRoster").addHandler(this::roster);
  }

  private void create(RoutingContext rc) {
    Reply.createdStreamed(rc, events.create(Requests.caller(rc), Requests.body(rc)), Event::id, "/v1/events");
  }

  private void list(RoutingContext rc) {
    Reply.okStreamed(rc, events.list(Requests.queryTime(rc, "from"), Requests.queryTime(rc, "to"),
        Requests.queryUuid(rc, "trainerId"), Requests.query(rc, "status"), Requests.cursor(rc), Requests.limit(rc)));
  }

  private void get(RoutingContext rc) {
    Reply.okStreamed(rc, events.get(Requests.pathId(rc)));
  }

  private void update(RoutingContext rc) {
    Reply.okStreamed(rc, events.update(Requests.caller(rc), Requests.pathId(rc), Requests.body(rc)));
  }

  private void cancel(RoutingContext rc) {
    Reply.okStreamed(rc, events.cancel(Requests.caller(rc), Requests.pathId(rc)));
  }

  private void roster(RoutingContext rc) {
    Reply.ok(rc, events.roster(Requests.caller(rc), Requests.pathId(rc), RosterCursor.decode(Requests.query(rc, "cursor")),
        Requests.limit(rc)));
  }
}
