package db;

import io.vertx.core.Future;
import io.vertx.sqlclient.PreparedQuery;
import io.vertx.sqlclient.Query;
import io.vertx.sqlclient.SqlClient;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The SQL a repository method builds at run time (optional filters, a list of columns to set), without running it:
 * a {@link SqlClient} that records the text of each query it is given, and answers every execution with a failure.
 * Only the first statement of a chain is recorded (the next ones wait for a result that never comes).
 */
final class SqlRecorder {

  private SqlRecorder() {
  }

  /** The statements {@code call} gives its client. */
  static List<String> record(Consumer<SqlClient> call) {
    List<String> sql = new ArrayList<>();
    call.accept(client(sql));
    return sql;
  }

  private static SqlClient client(List<String> sql) {
    return (SqlClient) Proxy.newProxyInstance(SqlRecorder.class.getClassLoader(), new Class<?>[] {SqlClient.class},
        (proxy, method, args) -> switch (method.getName()) {
          case "preparedQuery", "query" -> {
            sql.add((String) args[0]);
            yield unexecuted(method.getReturnType());
          }
          default -> throw new UnsupportedOperationException("SqlRecorder only records queries: " + method);
        });
  }

  private static Object unexecuted(Class<?> type) {
    if (type != PreparedQuery.class && type != Query.class) {
      throw new UnsupportedOperationException("SqlRecorder does not know " + type);
    }
    return Proxy.newProxyInstance(SqlRecorder.class.getClassLoader(), new Class<?>[] {type},
        (proxy, method, args) -> method.getName().startsWith("execute")
            ? Future.failedFuture(new IllegalStateException("recorded, not run"))
            : proxy); // mapping(..), collecting(..): the same query
  }
}
