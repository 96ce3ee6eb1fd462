package notifications.channels;

import config.AppConfig;
import io.vertx.core.Vertx;

/**
 * How this node reaches the push API: its URL, the Firebase project, and where bearer tokens come from. With a
 * service-account key file (ROSTER_PUSH_CREDENTIALS_FILE) tokens are minted and renewed; its project_id names
 * the project unless ROSTER_PUSH_PROJECT_ID is set. Otherwise the fixed ROSTER_PUSH_ACCESS_TOKEN (tests,
 * development: it expires within the hour on the real FCM).
 */
public record PushSetup(String url, String projectId, PushAuth auth) {

  /** Null when push is off. Blocks (reads the key file): call at start-up on a worker thread. */
  public static PushSetup from(Vertx vertx, AppConfig config) {
    if (config.pushUrl().isBlank()) {
      return null;
    }
    if (config.pushCredentialsFile().isBlank()) {
      return new PushSetup(config.pushUrl(), config.pushProjectId(), PushAuth.fixed(config.pushAccessToken()));
    }
    ServiceAccountFile.Key key = ServiceAccountFile.read(config.pushCredentialsFile());
    String project = config.pushProjectId().isBlank() ? key.projectId() : config.pushProjectId();
    if (project == null || project.isBlank()) {
      throw new config.ConfigException("ROSTER_PUSH_CREDENTIALS_FILE: " + config.pushCredentialsFile()
          + " names no project_id; set ROSTER_PUSH_PROJECT_ID");
    }
    return new PushSetup(config.pushUrl(), project, new ServiceAccountTokens(vertx, key.credentials()));
  }
}
