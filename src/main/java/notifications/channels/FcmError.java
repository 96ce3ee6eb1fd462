package notifications.channels;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Reads an FCM HTTP v1 error answer ({@code {"error": {"code", "message", "status", "details": [...]}}}, see
 * firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode) for the one thing the worker acts on: the device
 * token is dead. That is 404 with the FcmError detail {@code UNREGISTERED} (the app was uninstalled, or the
 * token expired), or 400 {@code INVALID_ARGUMENT} about the token itself (a BadRequest field violation on
 * {@code message.token}, or FCM's "not a valid FCM registration token"). Any other 400 (a bad payload) says
 * nothing about the token.
 */
final class FcmError {

  private FcmError() {
  }

  static boolean tokenIsDead(int status, String body) {
    JsonObject error = errorOf(body);
    if (error == null) {
      return false;
    }
    JsonArray details = error.getValue("details") instanceof JsonArray a ? a : new JsonArray();
    if (status == 404) {
      return fcmErrorCode(details).equals("UNREGISTERED") || "UNREGISTERED".equals(error.getString("status"));
    }
    if (status != 400 || !"INVALID_ARGUMENT".equals(error.getString("status"))) {
      return false;
    }
    for (Object detail : details) {
      if (detail instanceof JsonObject d && d.getValue("fieldViolations") instanceof JsonArray violations) {
        for (Object v : violations) {
          if (v instanceof JsonObject violation && !"message.token".equals(violation.getString("field"))) {
            return false; // something else in the message is wrong
          }
        }
        return !violations.isEmpty();
      }
    }
    String message = error.getValue("message") instanceof String m ? m.toLowerCase() : "";
    return message.contains("registration token");
  }

  private static String fcmErrorCode(JsonArray details) {
    for (Object detail : details) {
      if (detail instanceof JsonObject d && String.valueOf(d.getValue("@type")).endsWith("google.firebase.fcm.v1.FcmError")
          && d.getValue("errorCode") instanceof String code) {
        return code;
      }
    }
    return "";
  }

  private static JsonObject errorOf(String body) {
    if (body == null || body.isBlank()) {
      return null;
    }
    try {
      return new JsonObject(body).getValue("error") instanceof JsonObject e ? e : null;
    } catch (DecodeException | ClassCastException e) {
      return null;
    }
  }
}
