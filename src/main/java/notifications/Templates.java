package notifications;

import notifications.NotificationRepository.Recipient;
import notifications.channels.Rendered;

import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The words of each notification kind, with the event's title and its start time in the configured zone.
 * Plain text and HTML for e-mail; one short line for SMS and push.
 */
public final class Templates {

  private final DateTimeFormatter when;

  public Templates(ZoneId zone) {
    this.when = DateTimeFormatter.ofPattern("EEE d MMM yyyy, HH:mm z", Locale.ENGLISH).withZone(zone);
  }

  /** @throws IllegalArgumentException for a kind we have no words for */
  public Rendered render(String kind, Recipient to) {
    String title = to.eventTitle() == null ? "your class" : to.eventTitle();
    String time = to.eventStartsAt() == null ? "" : when.format(to.eventStartsAt());
    String where = to.eventLocation() == null ? "" : " at " + to.eventLocation();
    String name = to.name() == null ? "there" : to.name();
    return switch (kind) {
      case "booking.confirmed" -> words("You're booked: " + title,
          "Your seat for " + title + " on " + time + where + " is confirmed.", name);
      case "booking.waitlisted" -> words("On the waitlist: " + title,
          title + " on " + time + " is full, so you are on its waitlist. We will tell you if a seat opens up.", name);
      case "booking.promoted" -> words("A seat opened up: " + title,
          "Good news: a seat opened up and you are now booked for " + title + " on " + time + where + ".", name);
      case "booking.cancelled" -> words("Booking cancelled: " + title,
          "Your booking for " + title + " on " + time + " is cancelled.", name);
      case "event.cancelled" -> words("Cancelled: " + title + " on " + time,
          "We are sorry: " + title + " on " + time + " is cancelled, and so is your booking.", name);
      case "event.reminder" -> words("Reminder: " + title + " starts " + time,
          "A reminder that " + title + " starts on " + time + where + ". See you there!", name);
      default -> throw new IllegalArgumentException("no template for notification kind '" + kind + "'");
    };
  }

  private static Rendered words(String subject, String line, String name) {
    String text = "Hello " + name + ",\n\n" + line + "\n\n— Roster\n";
    String html = "<!doctype html><html><body><p>Hello " + escape(name) + ",</p><p>" + escape(line)
        + "</p><p>— Roster</p></body></html>";
    return new Rendered(subject, text, html, line);
  }

  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
