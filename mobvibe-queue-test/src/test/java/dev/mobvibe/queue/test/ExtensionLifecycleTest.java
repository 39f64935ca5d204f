package dev.mobvibe.queue.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.RetryPolicy;
import dev.mobvibe.queue.testing.TestDatabase;
import java.sql.Connection;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What the extension creates, and that it drops exactly that. */
class ExtensionLifecycleTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  @Test
  void aFreshDatabaseIsCreatedMigratedAndDropped() throws Exception {
    RetryPolicy policy = RetryPolicy.fixed(Duration.ofSeconds(7));
    MobVibeQueueExtension ext =
        MobVibeQueueExtension.create().withQueue(b -> b.retryPolicy(policy));
    ext.open(ExtensionLifecycleTest.class);
    String name;
    try (Connection c = ext.dataSource().getConnection()) {
      name = c.getCatalog();
    }
    ext.queue().enqueue(NewJob.of("Works"));
    assertThat(ext.queue().retryPolicy()).isSameAs(policy);
    ext.close();
    assertThat(name).startsWith("mvq_test_extensionlifecycletest_");
    assertThat(db.queryLong("SELECT count(*) FROM pg_database WHERE datname = '" + name + "'"))
        .isZero();
    assertThatThrownBy(ext::queue).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aFreshSchemaInTheCallersDatabaseIsDropped() throws Exception {
    MobVibeQueueExtension ext = MobVibeQueueExtension.withDataSource(db.dataSource());
    ext.open(ExtensionLifecycleTest.class);
    String schema = ext.queue().schema();
    assertThat(schema).startsWith("mvq_test_extensionlifecycletest_");
    ext.queue().enqueue(NewJob.of("In a schema"));
    assertThat(db.queryLong("SELECT count(*) FROM " + schema + ".coding_jobs")).isEqualTo(1);
    ext.close();
    assertThat(schemaCount(schema)).isZero();
  }

  @Test
  void aNamedSchemaIsDroppedOnlyWhenTheExtensionCreatedIt() throws Exception {
    db.execute("CREATE SCHEMA IF NOT EXISTS kept_schema");
    MobVibeQueueExtension kept =
        MobVibeQueueExtension.withDataSource(db.dataSource(), "kept_schema");
    kept.open(ExtensionLifecycleTest.class);
    kept.close();
    assertThat(schemaCount("kept_schema")).isEqualTo(1);

    MobVibeQueueExtension made = MobVibeQueueExtension.withDataSource(db.dataSource(), "made_here");
    made.open(ExtensionLifecycleTest.class);
    assertThat(schemaCount("made_here")).isEqualTo(1);
    made.close();
    assertThat(schemaCount("made_here")).isZero();
  }

  @Test
  void badSettingsAreRefused() {
    assertThatThrownBy(() -> MobVibeQueueExtension.onServer("mysql://nope"))
        .isInstanceOf(IllegalArgumentException.class);
    MobVibeQueueExtension badSchema =
        MobVibeQueueExtension.withDataSource(db.dataSource(), "Bad Schema; DROP");
    assertThatThrownBy(() -> badSchema.open(ExtensionLifecycleTest.class))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Bad Schema; DROP");
  }

  private static long schemaCount(String schema) {
    return db.queryLong("SELECT count(*) FROM pg_namespace WHERE nspname = '" + schema + "'");
  }
}
