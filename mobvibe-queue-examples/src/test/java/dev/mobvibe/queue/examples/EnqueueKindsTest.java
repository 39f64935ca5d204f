package dev.mobvibe.queue.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mobvibe.queue.testing.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code enqueue --session}, {@code --kind} and {@code --args}; the worker's second kind; {@code
 * jobs} showing kinds; and a database whose coding_sessions, as the seed's, requires a user.
 */
class EnqueueKindsTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  /** The seed's tables as its Supabase migrations created them: sessions need a user. */
  private static final String SEED_TABLES =
      """
      DROP SCHEMA IF EXISTS seed CASCADE;
      CREATE SCHEMA seed;
      CREATE TABLE seed.coding_sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL,
        project_id uuid NOT NULL,
        status text NOT NULL DEFAULT 'pending'
          CHECK (status IN ('pending', 'active', 'paused', 'completed', 'failed', 'expired')),
        initial_prompt text,
        error_message text,
        expires_at timestamptz NOT NULL,
        metadata jsonb DEFAULT '{}'::jsonb,
        created_at timestamptz DEFAULT now(),
        updated_at timestamptz DEFAULT now()
      );
      CREATE TABLE seed.coding_jobs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id uuid NOT NULL REFERENCES seed.coding_sessions(id) ON DELETE CASCADE,
        prompt text NOT NULL,
        status text NOT NULL DEFAULT 'pending'
          CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
        priority int DEFAULT 0,
        retry_count int DEFAULT 0,
        max_retries int DEFAULT 3,
        error_message text,
        started_at timestamptz,
        completed_at timestamptz,
        created_at timestamptz DEFAULT now(),
        updated_at timestamptz DEFAULT now()
      );
      CREATE TABLE seed.session_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id uuid REFERENCES seed.coding_sessions(id) ON DELETE CASCADE,
        event_type text NOT NULL,
        event_data jsonb DEFAULT '{}'::jsonb,
        created_at timestamptz DEFAULT now()
      );
      INSERT INTO seed.coding_sessions (id, user_id, project_id, initial_prompt, expires_at)
      VALUES ('00000000-0000-0000-0000-00000000000a', gen_random_uuid(), gen_random_uuid(),
              'Build a todo app', now() + interval '1 day');
      """;

  private static final String SEED_SESSION = "00000000-0000-0000-0000-00000000000a";

  private Map<String, String> env;

  @BeforeEach
  void emptyTheQueue() {
    db.migratedQueue();
    db.emptyQueueTables();
    env = CliRunner.env(db);
  }

  private static List<String> ids(CliRunner.Result r) {
    assertThat(r.code()).as(r.err()).isZero();
    return r.out().lines().toList();
  }

  @Test
  void jobsOfAnotherKindCarryTheirJsonArgumentsAndNoSession() {
    List<String> ids =
        ids(
            CliRunner.run(
                env,
                "enqueue",
                "--kind",
                "send_email",
                "--args",
                "{\"to\": \"ada@example.com\", \"subject\": \"Welcome\", \"tags\": [1, 2]}",
                "--tier",
                "pro",
                "--count",
                "2"));

    assertThat(ids).hasSize(2);
    assertThat(db.queryLong("SELECT count(*) FROM coding_jobs WHERE kind = 'send_email'"))
        .isEqualTo(2);
    assertThat(db.queryString("SELECT args::text FROM coding_jobs WHERE id = '" + ids.get(0) + "'"))
        .isEqualTo("{\"to\": \"ada@example.com\", \"tags\": [1, 2], \"subject\": \"Welcome\"}");
    assertThat(db.queryLong("SELECT count(*) FROM coding_jobs WHERE session_id IS NOT NULL"))
        .isZero();
    assertThat(db.queryLong("SELECT count(*) FROM coding_sessions")).isZero();
    assertThat(db.queryLong("SELECT min(priority) FROM coding_jobs")).isEqualTo(10);

    CliRunner.Result show = CliRunner.run(env, "jobs", "show", ids.get(0));
    assertThat(show.code()).as(show.err()).isZero();
    assertThat(show.out())
        .contains("kind         send_email")
        .contains("session      -")
        .contains("args         {\"to\": \"ada@example.com\"")
        .doesNotContain("prompt ");
    CliRunner.Result list = CliRunner.run(env, "jobs");
    assertThat(list.out()).contains("KIND", "send_email", "{\"to\": \"ada@example.com\"");
  }

  @Test
  void aKindWithoutArgsGetsAnEmptyObject() {
    String id = ids(CliRunner.run(env, "enqueue", "--kind", "cache.warm")).get(0);

    assertThat(
            db.queryString(
                "SELECT kind || ' ' || args::text FROM coding_jobs WHERE id = '" + id + "'"))
        .isEqualTo("cache.warm {}");
  }

  @Test
  void jobsJoinAnExistingSessionWithSession() {
    String first = ids(CliRunner.run(env, "enqueue", "--prompt", "Build it")).get(0);
    String session =
        db.queryString("SELECT session_id::text FROM coding_jobs WHERE id = '" + first + "'");

    List<String> more =
        ids(
            CliRunner.run(
                env, "enqueue", "--prompt", "Follow up", "--session", session, "--count", "2"));

    assertThat(more).hasSize(2);
    assertThat(db.queryLong("SELECT count(*) FROM coding_sessions")).isEqualTo(1);
    assertThat(
            db.queryLong("SELECT count(*) FROM coding_jobs WHERE session_id = '" + session + "'"))
        .isEqualTo(3);
    CliRunner.Result show = CliRunner.run(env, "jobs", "show", more.get(0));
    assertThat(show.out()).contains("kind         coding_session", "session      " + session);
  }

  static List<List<String>> refusedCombinations() {
    return List.of(
        List.of("--kind", "send_email", "--args", "[1, 2]", "--args must be a JSON object"),
        List.of("--kind", "send_email", "--args", "{\"to\": 1} x", "--args must be a JSON object"),
        List.of("--kind", "send_email", "--args", "not json", "--args must be a JSON object"),
        List.of("--kind", "coding_session", "--args", "{}", "--args belongs to a job of another"),
        List.of("--args", "{}", "--args belongs to a job of another --kind"),
        List.of("--kind", "send_email", "--prompt", "Hi", "--prompt belongs to a coding_session"),
        List.of(
            "--kind",
            "send_email",
            "--session",
            SEED_SESSION,
            "--session belongs to a coding_session job"),
        List.of("--session", "yesterday", "--session must be a session id (a UUID)"),
        List.of("--kind", "send email!", "kind must be 1 to 100 characters"));
  }

  @ParameterizedTest
  @MethodSource("refusedCombinations")
  void badCombinationsAreRefusedWithTheirFlagNamedAndNothingWritten(List<String> flagsAndError) {
    List<String> args = new ArrayList<>(List.of("enqueue"));
    args.addAll(flagsAndError.subList(0, flagsAndError.size() - 1));

    CliRunner.Result r = CliRunner.run(env, args.toArray(String[]::new));

    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(2);
    assertThat(r.err()).startsWith("error: ").contains(flagsAndError.get(flagsAndError.size() - 1));
    assertThat(r.out()).isEmpty();
    assertThat(db.queryLong("SELECT count(*) FROM coding_jobs")).isZero();
  }

  @Test
  void theWorkerSendsEmailsBesideCodingSessions() {
    ids(CliRunner.run(env, "enqueue", "--prompt", "Build it"));
    ids(
        CliRunner.run(
            env,
            "enqueue",
            "--kind",
            "send_email",
            "--args",
            "{\"to\": \"ada@example.com\", \"subject\": \"Your session is done\"}"));
    String noRecipient =
        ids(CliRunner.run(env, "enqueue", "--kind", "send_email", "--args", "{\"subject\": \"?\"}"))
            .get(0);

    CliRunner.Result worker = CliRunner.run(env, "worker", "--work-ms", "40", "--exit-when-idle");

    assertThat(worker.code()).as(worker.err()).isZero();
    assertThat(
            db.queryString(
                "SELECT string_agg(kind || ':' || status, ',' ORDER BY kind, status)"
                    + " FROM coding_jobs"))
        .isEqualTo("coding_session:completed,send_email:completed,send_email:failed");
    assertThat(
            db.queryString(
                "SELECT error_message FROM coding_jobs WHERE id = '" + noRecipient + "'"))
        .contains("no recipient");
  }

  @Test
  void onASeedDatabaseAJobNeedsAnExistingSession() {
    db.execute(SEED_TABLES);

    CliRunner.Result refused =
        CliRunner.run(env, "enqueue", "--schema", "seed", "--prompt", "No session");

    assertThat(refused.code()).isEqualTo(1);
    assertThat(refused.err())
        .startsWith("error: ")
        .contains("this database's coding_sessions requires user_id")
        .contains("sessionId(id)")
        .contains("enqueue --session <id>");
    assertThat(db.queryLong("SELECT count(*) FROM seed.coding_jobs")).isZero();
    assertThat(db.queryLong("SELECT count(*) FROM seed.coding_sessions")).isEqualTo(1);

    List<String> ids =
        ids(
            CliRunner.run(
                env,
                "enqueue",
                "--schema",
                "seed",
                "--prompt",
                "Follow up",
                "--session",
                SEED_SESSION));

    assertThat(ids).hasSize(1);
    assertThat(
            db.queryString(
                "SELECT session_id::text FROM seed.coding_jobs WHERE id = '" + ids.get(0) + "'"))
        .isEqualTo(SEED_SESSION);
    // Jobs of another kind need no session, so the seed's sessions do not stand in their way.
    ids(
        CliRunner.run(
            env,
            "enqueue",
            "--schema",
            "seed",
            "--kind",
            "send_email",
            "--args",
            "{\"to\": \"a\"}"));
    assertThat(db.queryLong("SELECT count(*) FROM seed.coding_jobs")).isEqualTo(2);
  }
}
