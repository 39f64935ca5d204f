package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mobvibe.queue.testing.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * On Supabase, Realtime streams the inserts of tables in the {@code supabase_realtime} publication.
 * The migration adds {@code coding_jobs} there when the publication exists without it, and leaves
 * every other case alone. Each test migrates its own schema; the publication is the database's and
 * is dropped after each test.
 */
class RealtimePublicationTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  @AfterEach
  void dropThePublication() {
    db.execute("DROP PUBLICATION IF EXISTS supabase_realtime");
  }

  private static long published(String schema) {
    return db.queryLong(
        "SELECT count(*) FROM pg_publication_tables WHERE pubname = 'supabase_realtime'"
            + " AND schemaname = '"
            + schema
            + "' AND tablename = 'coding_jobs'");
  }

  private static void migrate(String schema) {
    db.newQueue(JobQueue.builder().schema(schema)).migrate();
  }

  @Test
  void aPublicationWithoutTheJobsTableGetsIt() {
    db.execute("CREATE PUBLICATION supabase_realtime");
    migrate("pub_added");
    assertThat(published("pub_added")).isEqualTo(1);
  }

  @Test
  void aPublicationThatHasTheTableAlreadyIsLeftAsItIs() {
    db.execute("CREATE SCHEMA pub_present");
    db.execute(
        "CREATE TABLE pub_present.coding_sessions (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
            + " status text NOT NULL DEFAULT 'pending', error_message text,"
            + " updated_at timestamptz DEFAULT now())");
    db.execute(
        "CREATE TABLE pub_present.coding_jobs (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
            + " session_id uuid NOT NULL REFERENCES pub_present.coding_sessions(id) ON DELETE CASCADE,"
            + " prompt text NOT NULL, status text NOT NULL DEFAULT 'pending',"
            + " priority int DEFAULT 0, retry_count int DEFAULT 0, max_retries int DEFAULT 3,"
            + " error_message text, started_at timestamptz, completed_at timestamptz,"
            + " created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now())");
    db.execute("CREATE PUBLICATION supabase_realtime FOR TABLE pub_present.coding_jobs");
    migrate("pub_present");
    assertThat(published("pub_present")).isEqualTo(1);
  }

  @Test
  void aPublicationOfAllTablesIsNotAltered() {
    db.execute("CREATE PUBLICATION supabase_realtime FOR ALL TABLES");
    migrate("pub_all");
    assertThat(db.queryLong("SELECT count(*) FROM pg_publication_rel")).isZero();
    assertThat(published("pub_all")).isEqualTo(1); // through FOR ALL TABLES
  }

  @Test
  void withoutThePublicationNothingIsCreated() {
    migrate("pub_none");
    assertThat(db.queryLong("SELECT count(*) FROM pg_publication")).isZero();
  }
}
