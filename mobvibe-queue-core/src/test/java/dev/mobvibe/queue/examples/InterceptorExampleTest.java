package dev.mobvibe.queue.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.JobStatus;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.MDC;
import org.slf4j.helpers.BasicMDCAdapter;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;

/**
 * Runs the interceptor example, and checks that its MDC key lives exactly as long as an attempt.
 */
class InterceptorExampleTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  /**
   * Core's tests log through slf4j-simple, whose MDC keeps nothing; a real application's logger
   * (logback, log4j) keeps one. Install slf4j's own thread-local MDC so the example can be seen to
   * work. {@code MDC.setMDCAdapter} is package-private, hence reflection; other tests in this JVM
   * then get a working MDC too, which they do not mind.
   */
  @BeforeAll
  static void installAWorkingMdc() throws ReflectiveOperationException {
    if (MDC.getMDCAdapter() instanceof NOPMDCAdapter) {
      var setter = MDC.class.getDeclaredMethod("setMDCAdapter", MDCAdapter.class);
      setter.setAccessible(true);
      setter.invoke(null, new BasicMDCAdapter());
    }
    MDC.put("probe", "kept");
    assertThat(MDC.get("probe")).as("a working MDC").isEqualTo("kept");
    MDC.remove("probe");
  }

  @Test
  void theHandlerSeesTheRequestIdOfTheEnqueuingThread() throws Exception {
    assertThat(InterceptorExample.run(db.dataSource())).isEqualTo("req-42");
    assertThat(
            db.queryString(
                "SELECT metadata ->> 'requestId' FROM coding_jobs WHERE prompt = 'Build a todo app'"))
        .isEqualTo("req-42");
  }

  @Test
  void theRequestIdIsInTheMdcOnlyWhileTheAttemptRuns() {
    JobQueue queue =
        db.newQueue(
            JobQueue.builder().enqueueInterceptor(InterceptorExample.requestIdToMetadata()));
    queue.migrate();
    MDC.put(InterceptorExample.REQUEST_ID, "req-7");
    Job job;
    try {
      job = queue.enqueue(NewJob.of("Add a dark mode toggle"));
    } finally {
      MDC.remove(InterceptorExample.REQUEST_ID);
    }

    List<String> seen = new CopyOnWriteArrayList<>();
    try (JobProcessor processor =
        JobProcessor.builder(
                queue, (j, ctx) -> seen.add("handler " + MDC.get(InterceptorExample.REQUEST_ID)))
            .interceptor(
                (j, ctx, next) -> {
                  seen.add("before " + MDC.get(InterceptorExample.REQUEST_ID));
                  next.proceed();
                  seen.add("after " + MDC.get(InterceptorExample.REQUEST_ID));
                })
            .interceptor(InterceptorExample.requestIdToMdc())
            .pollInterval(Duration.ofMillis(100))
            .build()) {
      processor.start();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> queue.findJob(job.id()).orElseThrow().status() == JobStatus.COMPLETED);
    }

    assertThat(seen).containsExactly("before null", "handler req-7", "after null");
  }
}
