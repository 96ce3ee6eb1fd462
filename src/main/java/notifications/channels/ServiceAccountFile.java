package notifications.channels;

import com.google.auth.oauth2.GoogleCredentials;
import com.google.auth.oauth2.ServiceAccountCredentials;
import config.ConfigException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * A Google service-account key file (the JSON the Firebase console downloads), read once at start-up: a missing
 * or malformed file stops the node with one line, instead of failing every push later.
 */
public final class ServiceAccountFile {

  /** The one scope FCM HTTP v1 needs. */
  public static final String FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging";

  /** The credentials to mint tokens with, and the project the key belongs to. */
  public record Key(GoogleCredentials credentials, String projectId) {
  }

  private ServiceAccountFile() {
  }

  /** Blocks (file I/O, key parsing): call at start-up on a worker thread. */
  public static Key read(String path) {
    String variable = "ROSTER_PUSH_CREDENTIALS_FILE";
    ServiceAccountCredentials account;
    try (InputStream in = Files.newInputStream(Path.of(path))) {
      account = ServiceAccountCredentials.fromStream(in);
    } catch (NoSuchFileException e) {
      throw new ConfigException(variable + " names " + path + ", which does not exist");
    } catch (IOException | RuntimeException e) {
      // the library's messages name the missing field or the bad key, never the file's content
      throw new ConfigException(variable + ": " + path + " is not a Google service-account key file ("
          + Redaction.apply(String.valueOf(e.getMessage())) + ")");
    }
    if (account.getClientEmail() == null || account.getPrivateKey() == null) {
      throw new ConfigException(variable + ": " + path + " has no client_email or private_key");
    }
    return new Key(account.createScoped(List.of(FCM_SCOPE)), account.getProjectId());
  }
}
