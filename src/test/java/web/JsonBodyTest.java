package web;

import bookings.Booking;
import events.Event;
import org.junit.jupiter.api.Test;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The answers written straight to the response are byte for byte what their JsonObject form encodes to. */
class JsonBodyTest {

  private static final OffsetDateTime AT = OffsetDateTime.of(2026, 3, 14, 9, 26, 53, 589_793_000, ZoneOffset.ofHours(2));

  @Test
  void anEventWritesWhatItsJsonObjectWrites() {
    Event full = event(UUID.randomUUID(), "Yoga \"flow\" \\ naïve ☀ \u0001\n", "scheduled", UUID.randomUUID());
    Event sparse = new Event(UUID.randomUUID(), "Spin", null, AT, AT.plusHours(1), 10, 0, 12, 0, null, null,
        "cancelled", AT.withNano(0), AT.withNano(0));
    for (Event e : List.of(full, sparse)) {
      assertThat(e.toBuffer().toString()).isEqualTo(e.toJson().toBuffer().toString());
    }
  }

  @Test
  void aBookingWritesWhatItsJsonObjectWrites() {
    Booking confirmed = new Booking(UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID(), "confirmed", null, AT,
        AT.plusNanos(1));
    Booking waitlisted = new Booking(UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID(), "waitlisted", 7, AT, AT);
    for (Booking b : List.of(confirmed, waitlisted)) {
      assertThat(b.toBuffer().toString()).isEqualTo(b.toJson().toBuffer().toString());
    }
  }

  @Test
  void aPageWritesWhatItsJsonObjectWrites() {
    List<Event> rows = new ArrayList<>();
    for (int i = 0; i < 60; i++) { // more than one 8 kB flush of the generator
      rows.add(event(UUID.randomUUID(), "Class " + i + " ✓", i % 2 == 0 ? "scheduled" : "cancelled", null));
    }
    for (int limit : new int[] {1, 20, 59, 60, 100}) {
      JsonBody streamed = Page.streamed(rows, limit, Event::startsAt, Event::id);
      String tree = Page.of(rows, limit, Event::toJson, Event::startsAt, Event::id).toBuffer().toString();
      assertThat(streamed.toBuffer().toString()).as("limit %d", limit).isEqualTo(tree);
    }
    assertThat(Page.streamed(List.<Event>of(), 20, Event::startsAt, Event::id).toBuffer().toString())
        .isEqualTo("{\"items\":[],\"nextCursor\":null}");
  }

  private static Event event(UUID id, String title, String status, UUID trainer) {
    return new Event(id, title, "Bring a mat.\tÜben", AT, AT.plusMinutes(45), 20, 5, 21, 3, trainer, "Room 1",
        status, AT.minusDays(3), AT);
  }
}
