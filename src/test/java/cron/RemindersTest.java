package cron;

import io.vertx.core.json.JsonObject;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.Test;
import support.Api;
import support.NotificationTestBase;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * send_event_reminders: one reminder e-mail per confirmed booking of an event starting within 24 h, however often
 * the task runs, in a row or at the same time on two workers; nothing for later events, waitlisted or cancelled
 * bookings, or cancelled events.
 */
class RemindersTest extends NotificationTestBase {

  @Override
  protected Map<String, String> notificationSettings() {
    Map<String, String> env = super.notificationSettings();
    env.put("ROSTER_WORKER_INSTANCES", "2");
    return env;
  }

  /** A confirmed booking that must get exactly one reminder: who, for which event. */
  private record Expected(String bookingId, String email, String title) {
  }

  // ---- helpers

  private JsonObject event(String title, long startsInMinutes, int capacity, int waitlist) {
    Instant start = Instant.now().plus(startsInMinutes, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.SECONDS);
    return createEvent(new JsonObject().put("title", title).put("startsAt", start.toString())
        .put("endsAt", start.plus(1, ChronoUnit.HOURS).toString()).put("capacity", capacity)
        .put("waitlistCapacity", waitlist));
  }

  private JsonObject booking(Person who, JsonObject event, String expectedStatus) {
    Api.Res res = book(who, event.getString("id"));
    assertThat(res.status()).as(res.toString()).isEqualTo(201);
    assertThat(res.json().getString("status")).isEqualTo(expectedStatus);
    return res.json();
  }

  private static String email(Person p) {
    return p.json().getString("email");
  }

  private String builtInRemindersJob() {
    Api.Res res = api.get("/v1/cron-jobs/status", admin.token());
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    List<JsonObject> jobs = res.json().getJsonArray("jobs").stream().map(JsonObject.class::cast)
        .filter(j -> "send_event_reminders".equals(j.getString("taskName"))).toList();
    assertThat(jobs).as("the built-in reminders job").hasSize(1);
    return jobs.get(0).getString("id");
  }

  private CompletableFuture<Api.Res> triggerAsync(String jobId) {
    return api.call("POST", "/v1/cron-jobs/trigger").token(admin.token()).json(new JsonObject().put("jobId", jobId))
        .sendAsync();
  }

  private String trigger(String jobId) {
    Api.Res res = triggerAsync(jobId).join();
    assertThat(res.status()).as(res.toString()).isEqualTo(202);
    return res.json().getString("id");
  }

  private String statusOf(String jobId, String runId) {
    Api.Res res = api.get("/v1/cron-jobs/" + jobId + "/runs?limit=100", admin.token());
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    return res.items().stream().map(JsonObject.class::cast).filter(r -> r.getString("id").equals(runId))
        .map(r -> r.getString("status")).findFirst().orElse(null);
  }

  private void awaitRun(String jobId, String runId, String... statuses) {
    List<String> wanted = List.of(statuses);
    eventually(Duration.ofSeconds(20), "run " + runId + " becomes " + wanted,
        () -> wanted.contains(statusOf(jobId, runId)));
  }

  /** Reminder e-mails received so far, by "recipient|event title". */
  private Map<String, Integer> remindersByRecipientAndEvent(List<String> titles) {
    Map<String, Integer> counts = new HashMap<>();
    for (MimeMessage m : smtp.getReceivedMessages()) {
      try {
        String subject = m.getSubject();
        if (subject == null || !subject.startsWith("Reminder")) {
          continue;
        }
        String title = titles.stream().filter(subject::contains).findFirst().orElse("?");
        for (var to : m.getAllRecipients()) {
          counts.merge(to.toString() + "|" + title, 1, Integer::sum);
        }
      } catch (MessagingException e) {
        throw new IllegalStateException(e);
      }
    }
    return counts;
  }

  private long reminderMails() {
    return remindersByRecipientAndEvent(List.of()).values().stream().mapToInt(Integer::intValue).sum();
  }

  /** Waits until every reminder queued so far is published and delivered, then checks the exact set. */
  private void assertExactlyOneReminderEach(List<Expected> expected, List<String> titles, List<String> noReminder) {
    eventually(Duration.ofSeconds(30), expected.size() + " reminder mails", () -> reminderMails() >= expected.size());
    eventually(Duration.ofSeconds(20), "the outbox drains", () -> db.count(
        "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0);
    eventually(Duration.ofSeconds(20), "every reminder delivery settles", () -> db.count(
        "SELECT count(*) FROM notification_deliveries WHERE kind = 'event.reminder' AND status <> 'sent'") == 0);

    Map<String, Integer> want = new HashMap<>();
    expected.forEach(e -> want.merge(e.email() + "|" + e.title(), 1, Integer::sum));
    assertThat(remindersByRecipientAndEvent(titles)).as("reminder mails per recipient and event")
        .containsExactlyInAnyOrderEntriesOf(want);
    assertThat(db.count("SELECT count(*) FROM outbox WHERE kind = 'event.reminder'")).isEqualTo(expected.size());
    assertThat(db.count("SELECT count(*) FROM reminders_sent")).isEqualTo(expected.size());
    for (Expected e : expected) {
      assertThat(db.count("SELECT count(*) FROM reminders_sent WHERE booking_id = ?::uuid AND kind = 'event.reminder'",
          e.bookingId())).as("reminders_sent of " + e).isEqualTo(1);
    }
    for (String bookingId : noReminder) {
      assertThat(db.count("SELECT count(*) FROM reminders_sent WHERE booking_id = ?::uuid", bookingId))
          .as("no reminder for booking " + bookingId).isZero();
    }
  }

  @Test
  void eachConfirmedBookingWithin24HoursGetsExactlyOneReminderHoweverOftenTheTaskRuns() throws Exception {
    String builtIn = builtInRemindersJob();
    // only the runs of this test: the built-in job's own schedule (every 15 min) stays out of the way
    Api.Res paused = api.patch("/v1/cron-jobs/" + builtIn, admin.token(), new JsonObject().put("enabled", false));
    assertThat(paused.status()).as(paused.toString()).isEqualTo(200);
    List<String> titles = new ArrayList<>(List.of("Morning spin", "Evening yoga", "Far pilates", "Called-off boxing",
        "Concurrent rowing"));
    List<Expected> expected = new ArrayList<>();
    List<String> noReminder = new ArrayList<>();

    // within 24 h: two confirmed and one waitlisted
    JsonObject spin = event("Morning spin", 180, 2, 1);
    Person m1 = member();
    Person m2 = member();
    Person m3 = member();
    expected.add(new Expected(booking(m1, spin, "confirmed").getString("id"), email(m1), "Morning spin"));
    expected.add(new Expected(booking(m2, spin, "confirmed").getString("id"), email(m2), "Morning spin"));
    noReminder.add(booking(m3, spin, "waitlisted").getString("id"));
    // within 24 h: m1 again (a second booking, a second reminder), one confirmed, one cancelled booking
    JsonObject yoga = event("Evening yoga", 20 * 60, 5, 0);
    Person m4 = member();
    Person m5 = member();
    expected.add(new Expected(booking(m4, yoga, "confirmed").getString("id"), email(m4), "Evening yoga"));
    expected.add(new Expected(booking(m1, yoga, "confirmed").getString("id"), email(m1), "Evening yoga"));
    String cancelled = booking(m5, yoga, "confirmed").getString("id");
    Api.Res cancel = api.delete("/v1/bookings/" + cancelled, admin.token());
    assertThat(cancel.status()).as(cancel.toString()).isEqualTo(200);
    noReminder.add(cancelled);
    // in 48 h: too far ahead
    JsonObject far = event("Far pilates", 48 * 60, 5, 0);
    Person m6 = member();
    noReminder.add(booking(m6, far, "confirmed").getString("id"));
    // a cancelled event within 24 h
    JsonObject boxing = event("Called-off boxing", 5 * 60, 5, 0);
    Person m7 = member();
    noReminder.add(booking(m7, boxing, "confirmed").getString("id"));
    Api.Res calledOff = api.post("/v1/events/" + boxing.getString("id") + "/cancel", admin.token(), new JsonObject());
    assertThat(calledOff.status()).as(calledOff.toString()).isEqualTo(200);

    // three runs in a row
    for (int i = 0; i < 3; i++) {
      String run = trigger(builtIn);
      awaitRun(builtIn, run, "completed", "failed", "skipped");
      assertThat(statusOf(builtIn, run)).isEqualTo("completed");
    }
    assertExactlyOneReminderEach(expected, titles, noReminder);

    // new bookings, then runs at the same time: two of an "allow" job and one of the built-in job, all held at
    // reminders_sent until they have all started, so they really overlap
    JsonObject rowing = event("Concurrent rowing", 6 * 60, 3, 1);
    for (int i = 0; i < 3; i++) {
      Person p = member();
      expected.add(new Expected(booking(p, rowing, "confirmed").getString("id"), email(p), "Concurrent rowing"));
    }
    noReminder.add(booking(member(), rowing, "waitlisted").getString("id"));
    Api.Res allowJob = api.post("/v1/cron-schedule", admin.token(), new JsonObject().put("taskName", "send_event_reminders")
        .put("cronExpression", "0 3 1 1 *").put("enabled", false).put("concurrency", "allow"));
    assertThat(allowJob.status()).as(allowJob.toString()).isEqualTo(201);
    String allow = allowJob.json().getString("id");

    List<String[]> runs = new ArrayList<>();
    try (Connection lock = db.connect()) {
      lock.setAutoCommit(false);
      try (Statement st = lock.createStatement()) {
        st.execute("LOCK TABLE reminders_sent IN SHARE MODE");
      }
      List<CompletableFuture<Api.Res>> fired = List.of(triggerAsync(allow), triggerAsync(allow), triggerAsync(builtIn));
      List<String> jobs = List.of(allow, allow, builtIn);
      for (int i = 0; i < fired.size(); i++) {
        Api.Res res = fired.get(i).join();
        assertThat(res.status()).as(res.toString()).isEqualTo(202);
        runs.add(new String[] {jobs.get(i), res.json().getString("id")});
      }
      for (String[] r : runs) {
        awaitRun(r[0], r[1], "running");
      }
      assertThat(db.count("SELECT count(*) FROM job_runs WHERE status = 'running' AND job_id IN (?::uuid, ?::uuid)",
          allow, builtIn)).as("three runs at once").isEqualTo(3);
      lock.rollback();
    }
    for (String[] r : runs) {
      awaitRun(r[0], r[1], "completed", "failed", "skipped");
      assertThat(statusOf(r[0], r[1])).isEqualTo("completed");
    }
    assertExactlyOneReminderEach(expected, titles, noReminder);
    assertThat(expected).hasSize(7);
  }
}
