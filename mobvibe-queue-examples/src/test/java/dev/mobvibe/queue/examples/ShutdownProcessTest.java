package dev.mobvibe.queue.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.testing.TestDatabase;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker as a separate JVM: SIGTERM during work stops it gracefully with exit code 0, and no
 * job is left in {@code processing}.
 */
@EnabledOnOs({OS.LINUX, OS.MAC}) // Process.destroy() sends SIGTERM there
class ShutdownProcessTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  @TempDir Path tmp;

  private Process process;

  @AfterEach
  void killIfStillRunning() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly(); // only the process this test started
    }
  }

  private Process startWorker(String workerId, String... args) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> command = new ArrayList<>(List.of(java, "-cp", classpath, Main.class.getName()));
    command.addAll(List.of("worker", "--worker-id", workerId));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().putAll(CliRunner.env(db));
    pb.environment().put("MAX_CONCURRENT_JOBS", "2");
    pb.redirectErrorStream(true);
    pb.redirectOutput(tmp.resolve(workerId + ".log").toFile());
    return pb.start();
  }

  private String log(String workerId) throws Exception {
    File f = tmp.resolve(workerId + ".log").toFile();
    return f.exists() ? Files.readString(f.toPath()) : "";
  }

  /** Handlers that have started in the worker, by their first log line. */
  private long started(String workerId) throws Exception {
    return log(workerId).lines().filter(l -> l.contains("coding session attempt 1/")).count();
  }

  private long count(String where) {
    return db.queryLong("SELECT count(*) FROM coding_jobs WHERE " + where);
  }

  @Test
  void sigtermReturnsUnfinishedJobsToPendingAndExitsZero() throws Exception {
    JobQueue queue = db.migratedQueue();
    db.execute("DELETE FROM coding_jobs");
    for (int i = 0; i < 3; i++) {
      queue.enqueue(NewJob.of("long job " + i));
    }
    // Jobs that outlast the shutdown timeout: stopped and handed back without spending an attempt.
    process = startWorker("sigterm-release", "--work-ms", "60000", "--shutdown-timeout-ms", "300");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> count("status = 'processing' AND lease_owner = 'sigterm-release'") == 2);
    // Claimed is not started: a job still on its way to a handler is handed back, not run.
    await().atMost(Duration.ofSeconds(30)).until(() -> started("sigterm-release") == 2);

    process.destroy(); // SIGTERM
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).as(log("sigterm-release")).isTrue();
    assertThat(process.exitValue()).as(log("sigterm-release")).isZero();

    assertThat(count("status = 'processing'")).isZero();
    assertThat(count("status = 'pending' AND retry_count = 0")).isEqualTo(3);
    assertThat(log("sigterm-release")).contains("signal received: stopping gracefully");
  }

  @Test
  void sigtermLetsRunningJobsFinishWithinTheShutdownTimeout() throws Exception {
    JobQueue queue = db.migratedQueue();
    db.execute("DELETE FROM coding_jobs");
    for (int i = 0; i < 3; i++) {
      queue.enqueue(NewJob.of("short job " + i));
    }
    process = startWorker("sigterm-finish", "--work-ms", "1500", "--shutdown-timeout-ms", "20000");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> count("status = 'processing' AND lease_owner = 'sigterm-finish'") == 2);
    // Claimed is not started: a job still on its way to a handler is handed back, not run.
    await().atMost(Duration.ofSeconds(30)).until(() -> started("sigterm-finish") == 2);

    process.destroy(); // SIGTERM while both slots work
    assertThat(process.waitFor(40, TimeUnit.SECONDS)).as(log("sigterm-finish")).isTrue();
    assertThat(process.exitValue()).as(log("sigterm-finish")).isZero();

    assertThat(count("status = 'processing'")).isZero();
    assertThat(count("status = 'completed'")).isEqualTo(2);
    assertThat(count("status = 'pending'")).isEqualTo(1); // never claimed: claiming stopped first
  }
}
