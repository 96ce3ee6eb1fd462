package notifications.channels;

/** A notification in words: a subject and a body for each medium (short for SMS and push). */
public record Rendered(String subject, String text, String html, String shortText) {
}
