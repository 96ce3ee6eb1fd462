package ops;

/**
 * Where this node is in its life: starting (verticles still deploying), serving, or stopping (SIGTERM
 * received). Readiness is UP only while serving; every response sent while stopping asks the client to
 * close its connection, so keep-alive clients reconnect to a pod that stays.
 */
public final class NodeState {

  private volatile boolean started;
  private volatile long stoppingSinceMs;

  /** Every verticle of this node is deployed. */
  public void started() {
    started = true;
  }

  /** Marks the node stopping; true only for the first call. */
  public synchronized boolean stop() {
    if (stoppingSinceMs != 0) {
      return false;
    }
    stoppingSinceMs = System.currentTimeMillis();
    return true;
  }

  public boolean stopping() {
    return stoppingSinceMs != 0;
  }

  public boolean serving() {
    return started && !stopping();
  }

  /** "starting", "serving" or "stopping", as /health shows it. */
  public String describe() {
    return stopping() ? "stopping" : started ? "serving" : "starting";
  }
}
