package dev.mobvibe.queue.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.testing.TestDatabase;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Every statement of {@link SchedulesSql} parses against a migrated schema other than public. */
class SchedulesSqlTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  @Test
  void everyStatementParses() throws Exception {
    db.newQueue(JobQueue.builder().schema("sched_check")).migrate();
    SchedulesSql sql = new SchedulesSql("sched_check");
    Map<String, String> statements = new LinkedHashMap<>();
    for (Field f : SchedulesSql.class.getDeclaredFields()) {
      if (!Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
        statements.put(f.getName(), (String) f.get(sql));
      }
    }
    assertThat(statements)
        .containsKeys(
            "schedulesUpsert", "schedulesTakeTick", "schedulesSetLastJob", "schedulesSelectAll");
    try (Connection c = db.connect()) {
      try (Statement st = c.createStatement()) {
        st.execute("SET search_path TO ''");
      }
      assertThatThrownBy(() -> describe(c, "SELECT nope FROM sched_check.coding_job_schedules"))
          .isInstanceOf(SQLException.class);
      for (Map.Entry<String, String> e : statements.entrySet()) {
        describe(c, e.getValue());
      }
    }
    assertThatThrownBy(() -> new SchedulesSql("Bad-Schema")).hasMessageContaining("'Bad-Schema'");
  }

  private static void describe(Connection c, String sql) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.getParameterMetaData();
      ps.getMetaData();
    }
  }
}
