package support;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** A small HTTP client for the API, as a partner would call it. */
public final class Api {

  private static final HttpClient CLIENT = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10))
      .build();

  private final String base;

  public Api(String base) {
    this.base = base;
  }

  /** A response: status, headers and the body parsed as JSON when it is JSON. */
  public record Res(int status, HttpResponse<String> raw) {
    public JsonObject json() {
      return new JsonObject(raw.body());
    }

    public JsonArray items() {
      return json().getJsonArray("items");
    }

    public String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }

    public String code() {
      return json().getString("code");
    }

    public String contentType() {
      return header("content-type");
    }

    @Override
    public String toString() {
      return status + " " + raw.body();
    }
  }

  public Call call(String method, String path) {
    return new Call(method, path);
  }

  public Res get(String path, String token) {
    return call("GET", path).token(token).send();
  }

  public Res post(String path, String token, Object body) {
    return call("POST", path).token(token).json(body).send();
  }

  public Res patch(String path, String token, Object body) {
    return call("PATCH", path).token(token).json(body).send();
  }

  public Res delete(String path, String token) {
    return call("DELETE", path).token(token).send();
  }

  /** One request being built. */
  public final class Call {
    private final String method;
    private final String path;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private String body;
    private byte[] bytes;

    private Call(String method, String path) {
      this.method = method;
      this.path = path;
    }

    public Call token(String token) {
      if (token != null) {
        headers.put("Authorization", "Bearer " + token);
      }
      return this;
    }

    public Call header(String name, String value) {
      headers.put(name, value);
      return this;
    }

    public Call json(Object json) {
      if (json != null) {
        headers.putIfAbsent("Content-Type", "application/json");
        body = json instanceof String s ? s : json.toString();
      }
      return this;
    }

    public Call raw(String contentType, String text) {
      headers.put("Content-Type", contentType);
      body = text;
      return this;
    }

    /** A body of exactly these bytes, e.g. one that is not valid UTF-8. */
    public Call bytes(String contentType, byte[] raw) {
      headers.put("Content-Type", contentType);
      bytes = raw;
      return this;
    }

    public Res send() {
      try {
        return sendAsync().get();
      } catch (Exception e) {
        throw new IllegalStateException(method + " " + path + " failed", e);
      }
    }

    public CompletableFuture<Res> sendAsync() {
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
          .method(method, bytes != null ? HttpRequest.BodyPublishers.ofByteArray(bytes)
              : body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
      headers.forEach(request::header);
      return CLIENT.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString())
          .thenApply(r -> new Res(r.statusCode(), r));
    }
  }

}
