package notifications;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import support.Api;
import support.NotificationTestBase;
import support.ProviderRecorder;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every notification kind reaches each channel the member chose, with the right recipient and words:
 * e-mail through real SMTP (GreenMail), SMS and push through recording HTTP providers.
 */
class NotificationFlowTest extends NotificationTestBase {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final DateTimeFormatter WHEN =
      DateTimeFormatter.ofPattern("EEE d MMM yyyy, HH:mm 'UTC'", Locale.ENGLISH).withZone(ZoneOffset.UTC);

  /** A member who chose channels, with the phone and push token the providers must see. */
  record Reachable(Person person, String email, String phone, String pushToken) {
    String id() {
      return person.id();
    }
  }

  /** What the member was told on each channel about one notification. */
  record Received(MimeMessage mail, ProviderRecorder.Request sms, ProviderRecorder.Request push) {
  }

  @BeforeEach
  void resetProviders() {
    sms.reset();
    push.reset();
  }

  @Test
  void bookingConfirmedReachesEmailSmsAndPush() throws Exception {
    String title = title("Confirmed");
    Instant start = startTomorrowAt(17, 0);
    String eventId = createEvent(event(title, start, 5, 0)).getString("id");
    Reachable who = reachable(List.of("email", "sms", "push"));

    Snapshot before = snapshot(who);
    Api.Res booked = book(who.person(), eventId);
    assertThat(booked.status()).as(booked.toString()).isEqualTo(201);
    assertThat(booked.json().getString("status")).isEqualTo("confirmed");

    Received got = awaitEverywhere(who, "booking.confirmed", before);
    assertContent(got, who, title, start, "booked");
    assertDeliveriesSent(who, "booking.confirmed", 3);
  }

  @Test
  void bookingWaitlistedReachesEveryChannel() throws Exception {
    String title = title("Waitlisted");
    Instant start = startTomorrowAt(18, 30);
    String eventId = createEvent(event(title, start, 1, 2)).getString("id");
    assertThat(book(member(), eventId).status()).isEqualTo(201);
    Reachable who = reachable(List.of("email", "sms", "push"));

    Snapshot before = snapshot(who);
    Api.Res booked = book(who.person(), eventId);
    assertThat(booked.status()).as(booked.toString()).isEqualTo(201);
    assertThat(booked.json().getString("status")).isEqualTo("waitlisted");

    Received got = awaitEverywhere(who, "booking.waitlisted", before);
    assertContent(got, who, title, start, "waitlist");
    assertDeliveriesSent(who, "booking.waitlisted", 3);
    assertThat(db.count("SELECT count(*) FROM notification_deliveries WHERE member_id = ?::uuid AND kind <> ?",
        who.id(), "booking.waitlisted")).as("a waitlisted member is not told it is booked").isZero();
  }

  @Test
  void promotionFromTheWaitlistReachesEveryChannel() throws Exception {
    String title = title("Promoted");
    Instant start = startTomorrowAt(19, 15);
    String eventId = createEvent(event(title, start, 1, 1)).getString("id");
    Reachable first = reachable(List.of("email", "sms", "push"));
    Reachable second = reachable(List.of("email", "sms", "push"));
    Api.Res seat = book(first.person(), eventId);
    assertThat(seat.json().getString("status")).isEqualTo("confirmed");
    Api.Res queued = book(second.person(), eventId);
    assertThat(queued.json().getString("status")).isEqualTo("waitlisted");
    awaitDeliveriesSent(second, "booking.waitlisted", 3);

    Snapshot before = snapshot(second);
    Api.Res cancelled = api.delete("/v1/bookings/" + seat.json().getString("id"), first.person().token());
    assertThat(cancelled.status()).as(cancelled.toString()).isEqualTo(200);
    assertThat(api.get("/v1/bookings/" + queued.json().getString("id"), admin.token()).json().getString("status"))
        .isEqualTo("confirmed");

    Received got = awaitEverywhere(second, "booking.promoted", before);
    assertContent(got, second, title, start, "seat");
    assertDeliveriesSent(second, "booking.promoted", 3);
    // the member who gave up the seat is told too, once per channel
    awaitDeliveriesSent(first, "booking.cancelled", 3);
  }

  @Test
  void bookingCancelledReachesEveryChannel() throws Exception {
    String title = title("Cancelled booking");
    Instant start = startTomorrowAt(7, 45);
    String eventId = createEvent(event(title, start, 3, 0)).getString("id");
    Reachable who = reachable(List.of("email", "sms", "push"));
    Api.Res booked = book(who.person(), eventId);
    assertThat(booked.status()).isEqualTo(201);
    awaitDeliveriesSent(who, "booking.confirmed", 3);

    Snapshot before = snapshot(who);
    Api.Res cancelled = api.delete("/v1/bookings/" + booked.json().getString("id"), who.person().token());
    assertThat(cancelled.status()).as(cancelled.toString()).isEqualTo(200);

    Received got = awaitEverywhere(who, "booking.cancelled", before);
    assertContent(got, who, title, start, "cancel");
    assertDeliveriesSent(who, "booking.cancelled", 3);
  }

  @Test
  void eventCancelledNotifiesEachActiveBookingOnce() throws Exception {
    String title = title("Cancelled event");
    Instant start = startTomorrowAt(20, 0);
    String eventId = createEvent(event(title, start, 1, 1)).getString("id");
    Reachable confirmed = reachable(List.of("email", "sms", "push"));
    Reachable waitlisted = reachable(List.of("email", "sms", "push"));
    Reachable gone = reachable(List.of("email", "sms", "push"));
    Api.Res goneBooking = book(gone.person(), eventId);
    assertThat(goneBooking.json().getString("status")).isEqualTo("confirmed");
    assertThat(api.delete("/v1/bookings/" + goneBooking.json().getString("id"), gone.person().token()).status())
        .isEqualTo(200);
    assertThat(book(confirmed.person(), eventId).json().getString("status")).isEqualTo("confirmed");
    assertThat(book(waitlisted.person(), eventId).json().getString("status")).isEqualTo("waitlisted");
    awaitDeliveriesSent(confirmed, "booking.confirmed", 3);
    awaitDeliveriesSent(waitlisted, "booking.waitlisted", 3);
    awaitDeliveriesSent(gone, "booking.cancelled", 3);

    Snapshot beforeConfirmed = snapshot(confirmed);
    Snapshot beforeWaitlisted = snapshot(waitlisted);
    Snapshot beforeGone = snapshot(gone);
    Api.Res res = api.post("/v1/events/" + eventId + "/cancel", admin.token(), null);
    assertThat(res.status()).as(res.toString()).isEqualTo(200);

    assertThat(db.count("SELECT count(*) FROM outbox WHERE kind = 'event.cancelled' AND payload->>'eventId' = ?",
        eventId)).as("one notification per active booking").isEqualTo(2);
    Received toConfirmed = awaitEverywhere(confirmed, "event.cancelled", beforeConfirmed);
    assertContent(toConfirmed, confirmed, title, start, "cancel");
    assertThat(toConfirmed.mail().getSubject()).contains(WHEN.format(start));
    Received toWaitlisted = awaitEverywhere(waitlisted, "event.cancelled", beforeWaitlisted);
    assertContent(toWaitlisted, waitlisted, title, start, "cancel");
    assertDeliveriesSent(confirmed, "event.cancelled", 3);
    assertDeliveriesSent(waitlisted, "event.cancelled", 3);

    assertThat(db.count("SELECT count(*) FROM notification_deliveries WHERE member_id = ?::uuid AND kind = ?",
        gone.id(), "event.cancelled")).as("a cancelled booking is not notified again").isZero();
    assertThat(snapshot(gone)).as("nothing more reached the member whose booking was cancelled before")
        .isEqualTo(beforeGone);
  }

  @Test
  void eventReminderFromTheOutboxReachesEveryChannel() throws Exception {
    String title = title("Reminder");
    Instant start = startTomorrowAt(6, 5);
    String eventId = createEvent(event(title, start, 3, 0)).getString("id");
    Reachable who = reachable(List.of("email", "sms", "push"));
    Api.Res booked = book(who.person(), eventId);
    assertThat(booked.status()).isEqualTo(201);
    awaitDeliveriesSent(who, "booking.confirmed", 3);

    Snapshot before = snapshot(who);
    db.update("INSERT INTO outbox (kind, payload) VALUES ('event.reminder', jsonb_build_object('memberId', ?::text, "
        + "'eventId', ?::text, 'bookingId', ?::text))", who.id(), eventId, booked.json().getString("id"));

    Received got = awaitEverywhere(who, "event.reminder", before);
    assertContent(got, who, title, start, "remind");
    assertThat(got.mail().getSubject()).contains(WHEN.format(start));
    assertDeliveriesSent(who, "event.reminder", 3);
  }

  @Test
  void aMemberWhoChoseOnlyEmailGetsNoSmsOrPush() throws Exception {
    String title = title("Email only");
    Instant start = startTomorrowAt(12, 0);
    String eventId = createEvent(event(title, start, 5, 0)).getString("id");
    // a phone and a push token on file, but the member chose e-mail only
    Reachable emailOnly = reachable(List.of("email"));
    Reachable everywhere = reachable(List.of("email", "sms", "push"));

    assertThat(book(emailOnly.person(), eventId).status()).isEqualTo(201);
    eventually(WAIT, "the confirmation mail", () -> !mailsTo(emailOnly.email()).isEmpty());
    // booked after: by the time its SMS and push are delivered, any SMS/push for the first would be too
    assertThat(book(everywhere.person(), eventId).status()).isEqualTo(201);
    awaitDeliveriesSent(everywhere, "booking.confirmed", 3);
    awaitDeliveriesSent(emailOnly, "booking.confirmed", 1);

    assertThat(smsTo(emailOnly.phone())).isEmpty();
    assertThat(pushTo(emailOnly.pushToken())).isEmpty();
    assertThat(mailsTo(emailOnly.email())).hasSize(1);
    assertThat(db.count("SELECT count(*) FROM notification_deliveries WHERE member_id = ?::uuid AND channel <> 'email'",
        emailOnly.id())).isZero();
    assertThat(smsTo(everywhere.phone())).hasSize(1);
    assertThat(pushTo(everywhere.pushToken())).hasSize(1);
  }

  @Test
  void adminsListDeliveriesAndOthersAreForbidden() throws Exception {
    String title = title("Listing");
    Instant start = startTomorrowAt(9, 0);
    String eventId = createEvent(event(title, start, 5, 0)).getString("id");
    Reachable who = reachable(List.of("email", "sms"));
    Api.Res booked = book(who.person(), eventId);
    assertThat(booked.status()).isEqualTo(201);
    awaitDeliveriesSent(who, "booking.confirmed", 2);

    List<JsonObject> mine = allDeliveries("").stream().filter(d -> who.id().equals(d.getString("memberId"))).toList();
    assertThat(mine).extracting(d -> d.getString("channel")).containsExactlyInAnyOrder("email", "sms");
    for (JsonObject d : mine) {
      assertThat(d.getString("kind")).isEqualTo("booking.confirmed");
      assertThat(d.getString("status")).isEqualTo("sent");
      assertThat(d.getInteger("attempts")).isEqualTo(1);
      assertThat(d.getString("eventId")).isEqualTo(eventId);
      assertThat(d.getString("bookingId")).isEqualTo(booked.json().getString("id"));
      assertThat(d.getString("lastError")).isNull();
      assertThat(d.getString("sentAt")).isNotNull();
      assertThat(d.getString("id")).isNotBlank();
    }
    assertThat(allDeliveries("status=sent").stream().map(d -> d.getString("id")))
        .containsAll(mine.stream().map(d -> d.getString("id")).toList());
    assertThat(allDeliveries("status=failed").stream().filter(d -> who.id().equals(d.getString("memberId")))).isEmpty();

    assertProblem(api.get("/v1/notifications", who.person().token()), 403, "forbidden");
    assertProblem(api.get("/v1/notifications?status=failed", member().token()), 403, "forbidden");
    assertProblem(api.get("/v1/notifications", trainer.token()), 403, "forbidden");
    assertProblem(api.get("/v1/notifications", null), 401, "unauthenticated");
    assertProblem(api.get("/v1/notifications?status=lost", admin.token()), 400, "validation_failed");
  }

  // ---- fixtures ----

  private static String title(String what) {
    return what + " class " + UUID.randomUUID().toString().substring(0, 6);
  }

  /** Tomorrow (UTC) at the given wall-clock time: always in the future, and its rendering is known. */
  private static Instant startTomorrowAt(int hour, int minute) {
    return Instant.now().truncatedTo(ChronoUnit.DAYS).plus(1, ChronoUnit.DAYS)
        .plus(hour, ChronoUnit.HOURS).plus(minute, ChronoUnit.MINUTES);
  }

  private static JsonObject event(String title, Instant start, int capacity, int waitlist) {
    return new JsonObject().put("title", title).put("startsAt", start.toString())
        .put("endsAt", start.plus(1, ChronoUnit.HOURS).toString())
        .put("capacity", capacity).put("waitlistCapacity", waitlist);
  }

  private Reachable reachable(List<String> channels) {
    Person person = member();
    String phone = "+1555" + ThreadLocalRandom.current().nextInt(1_000_000, 10_000_000);
    String token = "tok-" + UUID.randomUUID();
    Api.Res res = api.patch("/v1/members/" + person.id(), admin.token(), new JsonObject()
        .put("channels", new JsonArray(channels)).put("phone", phone).put("pushToken", token));
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    assertThat(res.json().getJsonArray("channels").getList()).containsExactlyElementsOf(channels);
    return new Reachable(person, person.json().getString("email"), phone, token);
  }

  // ---- what the member received ----

  /** How many messages had reached the member on each channel. */
  record Snapshot(int mails, int sms, int push) {
  }

  private Snapshot snapshot(Reachable who) {
    return new Snapshot(mailsTo(who.email()).size(), smsTo(who.phone()).size(), pushTo(who.pushToken()).size());
  }

  /** Waits until the kind's deliveries are sent on every chosen channel, then takes exactly one new message of each. */
  private Received awaitEverywhere(Reachable who, String kind, Snapshot before) {
    awaitDeliveriesSent(who, kind, 3);
    List<MimeMessage> mails = mailsTo(who.email());
    List<ProviderRecorder.Request> texts = smsTo(who.phone());
    List<ProviderRecorder.Request> pushes = pushTo(who.pushToken());
    assertThat(mails.subList(before.mails(), mails.size())).as("new mails for " + kind).hasSize(1);
    assertThat(texts.subList(before.sms(), texts.size())).as("new SMS for " + kind).hasSize(1);
    assertThat(pushes.subList(before.push(), pushes.size())).as("new pushes for " + kind).hasSize(1);
    return new Received(mails.get(mails.size() - 1), texts.get(texts.size() - 1), pushes.get(pushes.size() - 1));
  }

  private void assertContent(Received got, Reachable who, String title, Instant start, String kindWord)
      throws Exception {
    String when = WHEN.format(start);

    MimeMessage mail = got.mail();
    assertThat(mail.getAllRecipients()).extracting(Object::toString).containsExactly(who.email());
    assertThat(mail.getFrom()[0].toString()).isEqualTo("roster@club.example");
    assertThat(mail.getSubject()).contains(title).containsIgnoringCase(kindWord);
    Map<String, String> parts = new HashMap<>();
    collect(mail, parts);
    assertThat(parts).as("plain-text and HTML alternatives").containsKeys("text/plain", "text/html");
    assertThat(parts.get("text/plain")).contains(title).contains(when);
    assertThat(parts.get("text/html")).contains(title).contains(when).contains("<html");

    ProviderRecorder.Request text = got.sms();
    assertThat(text.method()).isEqualTo("POST");
    assertThat(text.path()).isEqualTo("/2010-04-01/Accounts/AC123/Messages.json");
    assertThat(text.header("Content-Type")).startsWith("application/x-www-form-urlencoded");
    assertThat(text.header("Authorization")).isEqualTo("Basic "
        + Base64.getEncoder().encodeToString("AC123:sms-secret".getBytes(StandardCharsets.UTF_8)));
    Map<String, String> form = form(text.body());
    assertThat(form).containsEntry("To", who.phone()).containsEntry("From", "+15550001111");
    assertThat(form.get("Body")).contains(title).contains(when);

    ProviderRecorder.Request note = got.push();
    assertThat(note.method()).isEqualTo("POST");
    assertThat(note.path()).isEqualTo("/v1/projects/roster-test/messages:send");
    assertThat(note.header("Authorization")).isEqualTo("Bearer push-secret");
    assertThat(note.header("Content-Type")).startsWith("application/json");
    JsonObject message = new JsonObject(note.body()).getJsonObject("message");
    assertThat(message.getString("token")).isEqualTo(who.pushToken());
    assertThat(message.getJsonObject("notification").getString("title")).contains(title).containsIgnoringCase(kindWord);
    assertThat(message.getJsonObject("notification").getString("body")).contains(title).contains(when);
  }

  private List<ProviderRecorder.Request> smsTo(String phone) {
    return sms.requests().stream().filter(r -> phone.equals(form(r.body()).get("To"))).toList();
  }

  private List<ProviderRecorder.Request> pushTo(String token) {
    return push.requests().stream().filter(r -> {
      try {
        return token.equals(new JsonObject(r.body()).getJsonObject("message").getString("token"));
      } catch (RuntimeException e) {
        return false;
      }
    }).toList();
  }

  private static Map<String, String> form(String body) {
    Map<String, String> out = new HashMap<>();
    if (body == null || body.isEmpty()) {
      return out;
    }
    for (String pair : body.split("&")) {
      String[] kv = pair.split("=", 2);
      out.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
          kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
    }
    return out;
  }

  private static void collect(Part part, Map<String, String> out) throws Exception {
    Object content = part.getContent();
    if (content instanceof Multipart multipart) {
      for (int i = 0; i < multipart.getCount(); i++) {
        collect(multipart.getBodyPart(i), out);
      }
    } else if (part.isMimeType("text/plain")) {
      out.put("text/plain", content.toString());
    } else if (part.isMimeType("text/html")) {
      out.put("text/html", content.toString());
    }
  }

  // ---- delivery records ----

  private void awaitDeliveriesSent(Reachable who, String kind, int channels) {
    eventually(WAIT, channels + " sent " + kind + " deliveries for " + who.id(), () -> db.count(
        "SELECT count(*) FROM notification_deliveries WHERE member_id = ?::uuid AND kind = ? AND status = 'sent'",
        who.id(), kind) == channels);
  }

  /** Each chosen channel has one delivery of the kind, sent at the first attempt. */
  private void assertDeliveriesSent(Reachable who, String kind, int channels) throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection c = db.connect(); PreparedStatement st = c.prepareStatement("SELECT channel, status, attempts, "
        + "last_error, sent_at IS NOT NULL FROM notification_deliveries WHERE member_id = ?::uuid AND kind = ? "
        + "ORDER BY channel")) {
      st.setString(1, who.id());
      st.setString(2, kind);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          rows.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getInt(3) + " " + rs.getString(4) + " "
              + rs.getBoolean(5));
        }
      }
    }
    assertThat(rows).as(kind + " deliveries of " + who.id()).hasSize(channels)
        .allMatch(r -> r.endsWith(" sent 1 null true"), "sent at the first attempt");
    assertThat(rows.stream().map(r -> r.split(" ")[0]).distinct()).as("one delivery per channel").hasSize(channels);
  }

  private List<JsonObject> allDeliveries(String query) {
    List<JsonObject> out = new ArrayList<>();
    String cursor = null;
    for (int page = 0; page < 50; page++) {
      String path = "/v1/notifications?limit=100" + (query.isEmpty() ? "" : "&" + query)
          + (cursor == null ? "" : "&cursor=" + cursor);
      Api.Res res = api.get(path, admin.token());
      assertThat(res.status()).as(res.toString()).isEqualTo(200);
      res.items().forEach(item -> out.add((JsonObject) item));
      cursor = res.json().getString("nextCursor");
      if (cursor == null) {
        return out;
      }
    }
    throw new AssertionError("more than 50 pages of deliveries");
  }
}
