package dev.mobvibe.queue.examples;

import dev.mobvibe.queue.testing.TestDatabase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** Runs the CLI in this JVM with a given environment and captures what it prints. */
final class CliRunner {
  private CliRunner() {}

  /** What one run returned and printed. */
  record Result(int code, String out, String err) {}

  static Result run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        Main.run(new Cli(env, new PrintWriter(out, true), new PrintWriter(err, true), false), args);
    return new Result(code, out.toString(), err.toString());
  }

  static Cli cli(Map<String, String> env, StringWriter out, StringWriter err) {
    return new Cli(env, new PrintWriter(out, true), new PrintWriter(err, true), false);
  }

  /** DATABASE_URL of the test database, credentials in the query. */
  static String databaseUrl(TestDatabase db) {
    StringBuilder url = new StringBuilder(db.jdbcUrl());
    char sep = url.indexOf("?") < 0 ? '?' : '&';
    if (db.user() != null) {
      url.append(sep).append("user=").append(URLEncoder.encode(db.user(), StandardCharsets.UTF_8));
      sep = '&';
    }
    if (db.password() != null) {
      url.append(sep)
          .append("password=")
          .append(URLEncoder.encode(db.password(), StandardCharsets.UTF_8));
    }
    return url.toString();
  }

  /** An environment with DATABASE_URL on the test database and quick timings. */
  static Map<String, String> env(TestDatabase db) {
    Map<String, String> env = new HashMap<>();
    env.put("DATABASE_URL", databaseUrl(db));
    env.put("POLL_INTERVAL_MS", "50");
    env.put("MONITOR_INTERVAL_MS", "100");
    env.put("HEALTH_CHECK_PORT", "0");
    env.put("HEALTH_BIND_ADDRESS", "127.0.0.1"); // tests' endpoints stay on this machine
    env.put("SHUTDOWN_TIMEOUT_MS", "5000");
    return env;
  }
}
