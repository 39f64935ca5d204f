package dev.mobvibe.queue.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

class EmbeddedDatabaseTest {

  @Test
  void startsAnEmbeddedPostgresqlOrExplainsWhyNotAsRoot() throws Exception {
    if (Database.runsAsRoot()) {
      assertThatThrownBy(Database::embedded)
          .isInstanceOf(CliException.class)
          .hasMessageContaining("PostgreSQL refuses to run as root")
          .hasMessageContaining("set DATABASE_URL")
          .satisfies(e -> assertThat(((CliException) e).exitCode()).isEqualTo(2));
      return;
    }
    try (Database db = Database.embedded();
        Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT 1")) {
      assertThat(db.isEmbedded()).isTrue();
      assertThat(db.description()).startsWith("embedded PostgreSQL on 127.0.0.1:");
      assertThat(rs.next()).isTrue();
    }
  }
}
