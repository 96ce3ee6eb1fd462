package auth;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The node's member links, asked by several event loops at once: concurrent first requests of many subjects are
 * answered rightly, each on its asker's own loop, with far fewer queries than subjects; askers of one subject share
 * its lookup; an unlinked subject is not remembered, so a link made later counts at once.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MemberLinksTest {

  private static final int LOOPS = 4;

  private AuthFixture node;

  @BeforeAll
  void start() {
    node = new AuthFixture("member_links");
  }

  @AfterAll
  void close() {
    node.close();
  }

  @Test
  void aBurstOfFirstRequestsFromSeveralLoopsTakesFewQueries() {
    Map<String, String> expected = new HashMap<>();
    for (int i = 0; i < 600; i++) {
      expected.put("burst-" + i, node.link("burst-" + i));
    }
    for (int i = 0; i < 40; i++) {
      expected.put("burst-unlinked-" + i, null);
    }
    List<String> subjects = new ArrayList<>(expected.keySet());
    long before = node.links.queries();

    // each loop asks every subject: every subject is asked from four loops at about the same time
    Map<String, Integer> answered = new ConcurrentHashMap<>();
    List<String> wrong = java.util.Collections.synchronizedList(new ArrayList<>());
    List<Future<Void>> loops = new ArrayList<>();
    for (int l = 0; l < LOOPS; l++) {
      Context context = node.vertx.getOrCreateContext();
      Promise<Void> done = Promise.promise();
      loops.add(done.future());
      context.runOnContext(v -> {
        List<Future<String>> asked = new ArrayList<>();
        for (String subject : subjects) {
          asked.add(node.links.memberIdOf(subject).andThen(result -> {
            if (!onLoopOf(context)) {
              wrong.add(subject + ": answered on another loop");
            } else if (result.failed() || !java.util.Objects.equals(result.result(), expected.get(subject))) {
              wrong.add(subject + ": " + (result.failed() ? result.cause() : result.result()));
            }
            answered.merge(subject, 1, Integer::sum);
          }));
        }
        Future.join(asked).<Void>mapEmpty().onComplete(done);
      });
    }
    AuthFixture.await(Future.join(loops));

    assertThat(wrong).isEmpty();
    assertThat(answered).hasSize(subjects.size()).allSatisfy((subject, times) -> assertThat(times).isEqualTo(LOOPS));
    long queries = node.links.queries() - before;
    System.out.printf("%d subjects asked from %d loops: %d queries%n", subjects.size(), LOOPS, queries);
    assertThat(queries).as("queries for %d subjects", subjects.size())
        .isLessThan(subjects.size() / 10)
        .isGreaterThanOrEqualTo((long) Math.ceil(subjects.size() / (double) SubjectLookups.MAX_SUBJECTS_PER_QUERY));
  }

  @Test
  void askersOfOneSubjectShareItsLookup() {
    String memberId = node.link("asked-together");
    long before = node.links.queries();
    Context context = node.vertx.getOrCreateContext();
    Promise<List<String>> answers = Promise.promise();
    context.runOnContext(v -> {
      List<Future<String>> asked = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        asked.add(node.links.memberIdOf("asked-together"));
      }
      Future.all(asked).map(all -> all.<String>list()).onComplete(answers);
    });
    assertThat(AuthFixture.await(answers.future())).hasSize(50).containsOnly(memberId);
    assertThat(node.links.queries() - before).isEqualTo(1);
  }

  @Test
  void anUnlinkedSubjectIsNotRememberedAndALinkMadeLaterCountsAtOnce() {
    long before = node.links.queries();
    assertThat(ask("linked-later")).isNull();
    assertThat(ask("linked-later")).isNull();
    assertThat(node.links.queries() - before).as("an unlinked subject is looked up each time").isEqualTo(2);

    String memberId = node.link("linked-later");
    assertThat(ask("linked-later")).isEqualTo(memberId);
    assertThat(ask("linked-later")).isEqualTo(memberId);
    assertThat(node.links.queries() - before).as("a linked one is remembered").isEqualTo(3);
  }

  private String ask(String subject) {
    Promise<String> answer = Promise.promise();
    node.vertx.getOrCreateContext().runOnContext(v -> node.links.memberIdOf(subject).onComplete(answer));
    return AuthFixture.await(answer.future());
  }

  private static boolean onLoopOf(Context context) {
    return Vertx.currentContext() == context && ((ContextInternal) context).nettyEventLoop().inEventLoop();
  }
}
