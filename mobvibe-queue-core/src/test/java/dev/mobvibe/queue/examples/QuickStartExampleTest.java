package dev.mobvibe.queue.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mobvibe.queue.testing.TestDatabase;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Runs the README's quick start against a fresh database, in the URL form the README shows. */
class QuickStartExampleTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  @Test
  void theQuickStartRunsAsShown() {
    QuickStartExample.run(postgresqlUrl());

    assertThat(db.queryString("SELECT prompt || '/' || priority || '/' || status FROM coding_jobs"))
        .isEqualTo("Build a todo app/10/completed");
    assertThat(db.queryLong("SELECT count(*) FROM coding_jobs")).isEqualTo(1);
    assertThat(
            db.queryString(
                "SELECT status FROM coding_sessions WHERE id = (SELECT session_id FROM coding_jobs)"))
        .isEqualTo("completed");
  }

  /** This test database as {@code postgresql://user[:password]@host:port/db}. */
  private static String postgresqlUrl() {
    String userInfo = "";
    if (db.user() != null) {
      userInfo = encode(db.user());
      if (db.password() != null) {
        userInfo += ":" + encode(db.password());
      }
      userInfo += "@";
    }
    return "postgresql://" + userInfo + db.jdbcUrl().substring("jdbc:postgresql://".length());
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
