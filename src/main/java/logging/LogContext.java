package logging;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.spi.context.storage.ContextLocal;

/**
 * The request id of the work running now, kept on the current Vert.x context. An event loop interleaves many
 * requests on one thread, so a thread-local (MDC) would mix them up; each HTTP request (and each message a worker
 * takes, when it runs on a duplicated context of its own) has its own context, and what runs on its behalf
 * (database replies, timers, blocking code) runs on that context too.
 */
public final class LogContext {

  /**
   * Vert.x sizes each instance's context storage when the instance is built: a Vert.x built before this class
   * was loaded has no slot for it. {@link #register()} runs before the launcher (and tests) build theirs.
   */
  private static final ContextLocal<String> REQUEST_ID = ContextLocal.registerLocal(String.class);

  private LogContext() {
  }

  /** Loads this class, so that the request id has its slot in every Vert.x built afterwards. */
  public static void register() {
    // the static initialiser did the work
  }

  /** Sets the request id of the current context; outside a Vert.x context it is ignored. */
  public static void setRequestId(String id) {
    Context context = Vertx.currentContext();
    if (context == null) {
      return;
    }
    try {
      REQUEST_ID.put(context, id);
    } catch (IllegalArgumentException builtBeforeRegistration) {
      // a Vert.x built before this class was loaded: its lines go without a request id
    }
  }

  /** The request id of the current context, or null (no context, or none set). */
  public static String requestId() {
    Context context = Vertx.currentContext();
    if (context == null) {
      return null;
    }
    try {
      return REQUEST_ID.get(context);
    } catch (IllegalArgumentException builtBeforeRegistration) {
      return null;
    }
  }
}
