package logging;

import io.vertx.core.internal.ContextInternal;

/**
 * The request id of the work running now, kept on the current Vert.x context (a request's or a message's own
 * duplicated context), so concurrent requests on one event loop never see each other's id.
 */
public final class LogContext {

  private static final String REQUEST_ID = "roster.requestId";

  private LogContext() {
  }

  public static void setRequestId(String id) {
    ContextInternal context = ContextInternal.current();
    if (context == null) {
      return;
    }
    if (id == null) {
      context.localContextData().remove(REQUEST_ID);
    } else {
      context.localContextData().put(REQUEST_ID, id);
    }
  }

  /** The current request id, or null outside a request or message. */
  public static String requestId() {
    ContextInternal context = ContextInternal.current();
    return context == null ? null : (String) context.localContextData().get(REQUEST_ID);
  }
}
