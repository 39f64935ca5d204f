package dev.mobvibe.queue.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mobvibe.queue.testing.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * SUPABASE_URL: a project needs its DATABASE_URL, and the URL itself is checked only where the
 * Realtime notifier uses it.
 */
class SupabaseSettingsTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  /** Unique per run, so no other test's output can hold it. */
  private static final String KEY = "sb_secret_" + UUID.randomUUID();

  private static final String NEEDS_DATABASE_URL =
      "error: SUPABASE_URL is set but DATABASE_URL is not: a Supabase project needs DATABASE_URL,"
          + " the project's connection string (Connect in the Supabase dashboard); to use a local"
          + " database instead, unset SUPABASE_URL"
          + System.lineSeparator();

  private static Map<String, String> env(String supabaseUrl) {
    Map<String, String> env = new HashMap<>(CliRunner.env(db));
    env.put("SUPABASE_URL", supabaseUrl);
    env.put("SUPABASE_SERVICE_ROLE_KEY", KEY);
    return env;
  }

  @Test
  void aProjectWithoutDatabaseUrlStopsEveryCommandOnTheQueue() {
    Map<String, String> env =
        Map.of(
            "SUPABASE_URL",
            "https://abc.supabase.co",
            "SUPABASE_SERVICE_ROLE_KEY",
            KEY,
            "HEALTH_CHECK_PORT",
            "0");
    for (List<String> args :
        List.of(
            List.of("worker"),
            List.<String>of(),
            List.of("stats"),
            List.of("enqueue", "--prompt", "x"),
            List.of("migrate"),
            List.of("jobs"),
            List.of("jobs", "show", UUID.randomUUID().toString()),
            List.of("jobs", "prune", "--older-than", "7d"))) {
      CliRunner.Result r = CliRunner.run(env, args.toArray(String[]::new));
      assertThat(r.code()).as("%s: %s", args, r.err()).isEqualTo(2);
      assertThat(r.err()).as("%s", args).isEqualTo(NEEDS_DATABASE_URL);
      assertThat(r.out()).as("%s", args).isEmpty();
    }
    // The flag counts as the variable.
    CliRunner.Result r =
        CliRunner.run(
            Map.of("HEALTH_CHECK_PORT", "0"),
            "worker",
            "--supabase-url",
            "https://abc.supabase.co",
            "--notifier",
            "poll");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).isEqualTo(NEEDS_DATABASE_URL);
  }

  @Test
  void theFallbackStaysWhenNeitherIsSet() {
    assertThat(Database.missingProjectDatabase(Settings.parse(Map.of()))).isEmpty();
    assertThat(
            Database.missingProjectDatabase(
                Settings.parse(
                    Map.of(
                        "SUPABASE_URL",
                        "https://abc.supabase.co",
                        "DATABASE_URL",
                        CliRunner.databaseUrl(db)))))
        .isEmpty();
    assertThat(
            Database.missingProjectDatabase(
                Settings.parse(Map.of("SUPABASE_URL", "https://abc.supabase.co"))))
        .isPresent();
  }

  @Test
  void commandsWithoutRealtimeIgnoreAMalformedSupabaseUrl() {
    db.migratedQueue();
    Map<String, String> env = env("not a url, and wrong");
    CliRunner.Result r = CliRunner.run(env, "enqueue", "--prompt", "ignored url");
    assertThat(r.code()).as(r.err()).isZero();
    r = CliRunner.run(env, "stats", "--json");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("\"pending\":");
    // The worker too, while it does not use Realtime.
    r = CliRunner.run(env, "worker", "--notifier", "poll", "--exit-when-idle", "--work-ms", "1");
    assertThat(r.code()).as(r.err()).isZero();
  }

  @Test
  void theSupabaseNotifierChecksTheUrlAndNamesIt() {
    CliRunner.Result r =
        CliRunner.run(
            env("ftp://u:pw-" + KEY + "@abc.supabase.co"), "worker", "--notifier", "supabase");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err())
        .isEqualTo(
            "error: SUPABASE_URL must start with https:// or wss:// (http:// or ws:// on a private"
                + " network), was 'ftp://***@abc.supabase.co'"
                + System.lineSeparator());
  }

  @Test
  void plainHttpToAPrivateHostRunsWithOneWarning() throws Exception {
    // A self-hosted Supabase behind its gateway on a container network; .invalid never resolves.
    try (LogCapture logs = LogCapture.start()) {
      try (BackgroundWorker worker =
          BackgroundWorker.start(env("http://kong.invalid:8000"), "--notifier", "supabase")) {
        HttpResponse<String> health =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(URI.create(worker.url("/health")))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                    HttpResponse.BodyHandlers.ofString());
        JsonNode json = new ObjectMapper().readTree(health.body());
        assertThat(json.get("notifier").asText()).isEqualTo("supabase");
      }
      assertThat(logs.warnings("travels unencrypted"))
          .singleElement()
          .asString()
          .contains("ws://kong.invalid:8000/realtime/v1/websocket?apikey=***")
          .contains("service role key");
      assertThat(logs.lines()).noneMatch(l -> l.contains(KEY));
    }
  }
}
