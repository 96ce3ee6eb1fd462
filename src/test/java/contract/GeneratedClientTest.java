package contract;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import roster.client.ApiClient;
import roster.client.ApiException;
import roster.client.api.BookingsApi;
import roster.client.api.EventsApi;
import roster.client.api.MembersApi;
import roster.client.api.SchedulesApi;
import roster.client.api.WebhooksApi;
import roster.client.model.Booking;
import roster.client.model.BookingCreate;
import roster.client.model.BookingPage;
import roster.client.model.Channel;
import roster.client.model.DayOfWeek;
import roster.client.model.Event;
import roster.client.model.EventCreate;
import roster.client.model.Member;
import roster.client.model.MemberCreate;
import roster.client.model.MemberView;
import roster.client.model.MemberUpdate;
import roster.client.model.Problem;
import roster.client.model.ProblemErrorsInner;
import roster.client.model.Roster;
import roster.client.model.RosterEntry;
import roster.client.model.Schedule;
import roster.client.model.ScheduleCreate;
import roster.client.model.Webhook;
import roster.client.model.WebhookCreate;
import roster.client.model.WebhookEventType;
import roster.client.model.WebhookWithSecret;
import support.ApiTestBase;

import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The Java client that the build generates from openapi.yaml (openapi-generator, library {@code native}; see
 * pom.xml) drives the running service through its main flows, as a partner's code would: what the contract
 * promises must be what the server answers, or these typed calls fail to read it.
 */
class GeneratedClientTest extends ApiTestBase {

  /** A member created through the generated client, with a token for its subject. */
  private record Client(Member member, ApiClient api) {
    UUID id() {
      return member.getId();
    }
  }

  @Override
  protected java.util.Map<String, String> serviceSettings() {
    return java.util.Map.of("ROSTER_WEBHOOKS_ALLOWED_HOSTS", "127.0.0.1");
  }

  private ApiClient client(String token) {
    ApiClient client = new ApiClient();
    client.updateBaseUri(app.baseUrl());
    client.setRequestInterceptor(request -> request.header("Authorization", "Bearer " + token));
    return client;
  }

  private ApiClient adminClient() {
    return client(admin.token());
  }

  private Client newMember(String name) throws ApiException {
    String subject = "member-" + UUID.randomUUID();
    Member created = new MembersApi(adminClient()).createMember(new MemberCreate().email(subject + "@example.com")
        .name(name).subject(subject).role(MemberCreate.RoleEnum.MEMBER), null);
    return new Client(created, client(issuer.token(subject, "member")));
  }

  private Event newEvent(int capacity, int waitlist) throws ApiException {
    OffsetDateTime start = OffsetDateTime.now(ZoneOffset.UTC).plusDays(1).truncatedTo(ChronoUnit.SECONDS);
    return new EventsApi(adminClient()).createEvent(new EventCreate().title("Evening yoga").startsAt(start)
        .endsAt(start.plusHours(1)).capacity(capacity).waitlistCapacity(waitlist).location("Studio 2"), null);
  }

  private static Booking book(Client who, Event event) throws ApiException {
    return new BookingsApi(who.api()).createBooking(new BookingCreate().eventId(event.getId()), null);
  }

  /** The problem document of a refused call, read into the generated model. */
  private Problem problem(int status, ThrowingCallable call) throws Exception {
    ApiException refused = catchThrowableOfType(ApiException.class, call);
    assertThat(refused).as("the call was refused").isNotNull();
    assertThat(refused.getCode()).as(refused.getResponseBody()).isEqualTo(status);
    assertThat(refused.getResponseHeaders().firstValue("content-type")).hasValueSatisfying(
        type -> assertThat(type).startsWith("application/problem+json"));
    Problem problem = adminClient().getObjectMapper().readValue(refused.getResponseBody(), Problem.class);
    assertThat(problem.getStatus()).isEqualTo(status);
    assertThat(problem.getRequestId()).isNotBlank();
    return problem;
  }

  @Test
  void aFullEventWaitlistsAndACancellationPromotesThenTheRosterAndCheckIn() throws Exception {
    Event event = newEvent(2, 1);
    assertThat(event.getStatus()).isEqualTo(Event.StatusEnum.SCHEDULED);
    assertThat(event.getSeatsLeft()).isEqualTo(2);
    Client ada = newMember("Ada");
    Client bob = newMember("Bob");
    Client cyd = newMember("Cyd");
    Client dan = newMember("Dan");

    Booking first = book(ada, event);
    Booking second = book(bob, event);
    assertThat(List.of(first.getStatus(), second.getStatus())).containsOnly(Booking.StatusEnum.CONFIRMED);
    assertThat(first.getMemberId()).isEqualTo(ada.id());

    Booking waiting = book(cyd, event);
    assertThat(waiting.getStatus()).isEqualTo(Booking.StatusEnum.WAITLISTED);
    assertThat(waiting.getWaitlistPosition()).isEqualTo(1);

    assertThat(problem(409, () -> book(dan, event)).getCode()).isEqualTo("event_full");

    Booking cancelled = new BookingsApi(ada.api()).cancelBooking(first.getId());
    assertThat(cancelled.getStatus()).isEqualTo(Booking.StatusEnum.CANCELLED);
    Booking promoted = new BookingsApi(cyd.api()).getBooking(waiting.getId());
    assertThat(promoted.getStatus()).isEqualTo(Booking.StatusEnum.CONFIRMED);
    assertThat(promoted.getWaitlistPosition()).isNull();

    Roster roster = new EventsApi(adminClient()).getEventRoster(event.getId(), null, null);
    assertThat(roster.getEvent().getBookedCount()).isEqualTo(2);
    assertThat(roster.getEvent().getWaitlistCount()).isZero();
    assertThat(roster.getConfirmed()).extracting(RosterEntry::getMemberId).containsExactlyInAnyOrder(bob.id(), cyd.id());
    assertThat(roster.getConfirmed()).extracting(entry -> entry.getMember().getName())
        .containsExactlyInAnyOrder("Bob", "Cyd");
    assertThat(roster.getWaitlisted()).isEmpty();
    assertThat(roster.getNextCursor()).isNull();

    Booking attended = new BookingsApi(adminClient()).checkInBooking(second.getId(), null);
    assertThat(attended.getStatus()).isEqualTo(Booking.StatusEnum.ATTENDED);
    assertThat(problem(409, () -> new BookingsApi(adminClient()).checkInBooking(second.getId(), null)).getCode())
        .isEqualTo("booking_not_confirmed");
  }

  @Test
  void refusalsReadAsTypedProblemsWithTheirCodes() throws Exception {
    Event event = newEvent(5, 0);
    Event other = newEvent(5, 0);
    Client eve = newMember("Eve");
    BookingsApi eveBookings = new BookingsApi(eve.api());

    assertThat(problem(404, () -> eveBookings.getBooking(UUID.randomUUID())).getCode()).isEqualTo("not_found");

    book(eve, event);
    assertThat(problem(409, () -> book(eve, event)).getCode()).isEqualTo("already_booked");

    String key = "generated-client-" + UUID.randomUUID();
    Booking once = eveBookings.createBooking(new BookingCreate().eventId(other.getId()), key);
    Booking again = eveBookings.createBooking(new BookingCreate().eventId(other.getId()), key);
    assertThat(again.getId()).as("the stored response is replayed").isEqualTo(once.getId());
    assertThat(problem(422, () -> eveBookings.createBooking(new BookingCreate().eventId(event.getId()), key))
        .getCode()).isEqualTo("idempotency_key_reused");

    assertThat(problem(403, () -> new EventsApi(eve.api()).createEvent(new EventCreate().title("Mine")
        .startsAt(OffsetDateTime.now().plusDays(2)).endsAt(OffsetDateTime.now().plusDays(2).plusHours(1))
        .capacity(3), null)).getCode()).isEqualTo("forbidden");

    OffsetDateTime start = OffsetDateTime.now(ZoneOffset.UTC).plusDays(3);
    Problem invalid = problem(400, () -> new EventsApi(adminClient()).createEvent(new EventCreate().title("Backwards")
        .startsAt(start).endsAt(start.minusHours(1)).capacity(3), null));
    assertThat(invalid.getCode()).isEqualTo("validation_failed");
    assertThat(invalid.getErrors()).extracting(ProblemErrorsInner::getField).contains("endsAt");

    ApiClient stranger = client("not-a-token");
    assertThat(problem(401, () -> new MembersApi(stranger).getMe()).getCode()).isEqualTo("unauthenticated");
  }

  @Test
  void listsAndTheRosterWalkTheirPagesWithNextCursor() throws Exception {
    Event event = newEvent(5, 3);
    Set<UUID> booked = new LinkedHashSet<>();
    List<UUID> members = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      Client who = newMember("Pager " + i);
      members.add(who.id());
      booked.add(book(who, event).getId());
    }

    BookingsApi bookings = new BookingsApi(adminClient());
    List<UUID> seen = new ArrayList<>();
    List<Integer> pageSizes = new ArrayList<>();
    String cursor = null;
    do {
      BookingPage page = bookings.listBookings(event.getId(), null, null, 3, cursor);
      page.getItems().forEach(b -> seen.add(b.getId()));
      pageSizes.add(page.getItems().size());
      cursor = page.getNextCursor();
    } while (cursor != null);
    assertThat(pageSizes).containsExactly(3, 3, 1);
    assertThat(seen).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(booked);

    EventsApi events = new EventsApi(adminClient());
    List<UUID> confirmed = new ArrayList<>();
    List<UUID> waitlisted = new ArrayList<>();
    int pages = 0;
    cursor = null;
    do {
      Roster page = events.getEventRoster(event.getId(), 2, cursor);
      assertThat(page.getEvent().getId()).isEqualTo(event.getId());
      assertThat(page.getConfirmed().size() + page.getWaitlisted().size()).isLessThanOrEqualTo(2);
      page.getConfirmed().forEach(entry -> confirmed.add(entry.getMemberId()));
      page.getWaitlisted().forEach(entry -> waitlisted.add(entry.getMemberId()));
      pages++;
      cursor = page.getNextCursor();
    } while (cursor != null);
    assertThat(pages).isEqualTo(4);
    assertThat(confirmed).containsExactlyInAnyOrderElementsOf(members.subList(0, 5));
    assertThat(waitlisted).containsExactlyElementsOf(members.subList(5, 7));

    Problem forged = problem(400, () -> bookings.listBookings(event.getId(), null, null, 3, "forged-cursor"));
    assertThat(forged.getCode()).isEqualTo("validation_failed");
    assertThat(forged.getErrors()).extracting(ProblemErrorsInner::getField).containsExactly("cursor");
  }

  @Test
  void aMemberReadsWholeForAnAdminAndWithoutContactDetailsForATrainer() throws Exception {
    Client gus = newMember("Gus");
    Object whole = new MembersApi(adminClient()).getMember(gus.id()).getActualInstance();
    assertThat(whole).isInstanceOfSatisfying(Member.class,
        member -> assertThat(member.getEmail()).isEqualTo(gus.member().getEmail()));
    // anyOf: the generated client tries Member first and, not checking required fields, reads a summary into it
    Object summary = new MembersApi(client(trainer.token())).getMember(gus.id()).getActualInstance();
    assertThat(summary).isInstanceOfSatisfying(Member.class, member -> {
      assertThat(member.getName()).isEqualTo("Gus");
      assertThat(member.getStatus()).isEqualTo(Member.StatusEnum.ACTIVE);
      assertThat(member.getEmail()).as("a trainer does not see the e-mail").isNull();
    });
    assertThat(new MembersApi(client(trainer.token())).listMembers("member", 100, null).getItems())
        .extracting(MemberView::getActualInstance).hasOnlyElementsOfType(Member.class)
        .extracting(member -> ((Member) member).getEmail()).containsOnlyNulls();
  }

  @Test
  void enumArraysTravelAsTheirNamedSchemas() throws Exception {
    Client fay = newMember("Fay");
    assertThat(fay.member().getChannels()).containsExactly(Channel.EMAIL);
    Member changed = new MembersApi(fay.api()).updateMember(fay.id(), new MemberUpdate()
        .channels(new LinkedHashSet<>(List.of(Channel.EMAIL, Channel.PUSH))).pushToken("fcm-token-of-fay"));
    assertThat(changed.getChannels()).containsExactlyInAnyOrder(Channel.EMAIL, Channel.PUSH);
    assertThat(changed.getPushToken()).isEqualTo("fcm-token-of-fay");

    Schedule schedule = new SchedulesApi(adminClient()).createSchedule(new ScheduleCreate().title("Evening yoga")
        .capacity(12).timezone("Europe/Berlin").daysOfWeek(new LinkedHashSet<>(List.of(DayOfWeek.WED, DayOfWeek.MON)))
        .startTime("18:00").durationMinutes(60).validFrom(LocalDate.now().plusDays(7)), null);
    assertThat(schedule.getDaysOfWeek()).as("returned in week order").containsExactly(DayOfWeek.MON, DayOfWeek.WED);
  }

  @Test
  void aWebhookIsRegisteredAndListedWithItsTypedEventTypes() throws Exception {
    WebhooksApi webhooks = new WebhooksApi(adminClient());
    WebhookWithSecret created = webhooks.createWebhook(new WebhookCreate().url("http://127.0.0.1:9/hooks")
        .eventTypes(List.of(WebhookEventType.BOOKING_CONFIRMED, WebhookEventType.MEMBER_UPDATED))
        .description("Partner CRM"), null);
    assertThat(created.getSecret()).startsWith("whsec_");
    assertThat(created.getEventTypes()).containsExactly(WebhookEventType.BOOKING_CONFIRMED,
        WebhookEventType.MEMBER_UPDATED);
    assertThat(created.getEnabled()).isTrue();

    List<Webhook> listed = webhooks.listWebhooks(100, null).getItems();
    assertThat(listed).extracting(Webhook::getId).contains(created.getId());

    Problem refused = problem(400, () -> webhooks.createWebhook(new WebhookCreate().url("http://10.0.0.7/hooks")
        .eventTypes(List.of(WebhookEventType.EVENT_CREATED)), null));
    assertThat(refused.getCode()).isEqualTo("webhook_url_not_allowed");
  }
}
