package dev.mobvibe.queue.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;

/** A {@code worker} command running on a background thread of the test JVM. */
record BackgroundWorker(WorkerCommand command, CompletableFuture<Integer> exit, StringWriter err)
    implements AutoCloseable {

  /** Starts the worker and waits until it is ready (processor started, endpoint up). */
  static BackgroundWorker start(Map<String, String> env, String... args)
      throws InterruptedException {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    WorkerCommand command = new WorkerCommand(CliRunner.cli(env, out, err));
    CommandLine cl = new CommandLine(command);
    cl.setErr(new PrintWriter(err, true));
    cl.setExecutionExceptionHandler(
        (e, c, p) -> {
          err.write(String.valueOf(e));
          return 1;
        });
    CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cl.execute(args));
    boolean ready = false;
    while (!ready && !exit.isDone()) {
      ready = command.awaitReady(Duration.ofMillis(100));
    }
    assertThat(ready).as("worker did not start: %s", err).isTrue();
    return new BackgroundWorker(command, exit, err);
  }

  /** A URL on the worker's health endpoint. */
  String url(String path) {
    return "http://127.0.0.1:" + command.healthPort() + path;
  }

  /** Stops the worker as SIGTERM would and checks it exited with 0. */
  @Override
  public void close() throws Exception {
    command.requestStop();
    assertThat(exit.get(30, TimeUnit.SECONDS)).as(err.toString()).isZero();
  }
}
