package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** Unit tests of {@link DatabaseUrl}: the URL forms users paste, and secrets kept out. */
class DatabaseUrlTest {

  @Test
  void aPostgresqlUrlBecomesAJdbcUrlWithDecodedCredentials() {
    DatabaseUrl p = DatabaseUrl.parse("postgresql://user:p%40ss@host:6543/db?sslmode=require");

    assertThat(p.jdbcUrl()).isEqualTo("jdbc:postgresql://host:6543/db?sslmode=require");
    assertThat(p.user()).contains("user");
    assertThat(p.password()).contains("p@ss");
  }

  @Test
  void theSupabasePoolerFormWithAnEncodedPassword() {
    DatabaseUrl p =
        DatabaseUrl.parse(
            "postgres://postgres.abcdefgh:s3cr%2Ft%3Fx@aws-0-eu-central-1.pooler.supabase.com:6543/postgres");

    assertThat(p.jdbcUrl())
        .isEqualTo("jdbc:postgresql://aws-0-eu-central-1.pooler.supabase.com:6543/postgres");
    assertThat(p.user()).contains("postgres.abcdefgh");
    assertThat(p.password()).contains("s3cr/t?x");
  }

  @Test
  void aPlusInThePasswordIsAPlus() {
    // In a URI's user info '+' is a literal character; only form encoding turns it into a space.
    DatabaseUrl p = DatabaseUrl.parse("postgresql://user:a+b@host/db");

    assertThat(p.password()).contains("a+b");
  }

  @Test
  void defaultsAndOptionalParts() {
    assertThat(DatabaseUrl.parse("postgresql://host").jdbcUrl())
        .isEqualTo("jdbc:postgresql://host/postgres");
    assertThat(DatabaseUrl.parse("postgresql://host/").jdbcUrl())
        .isEqualTo("jdbc:postgresql://host/postgres");
    DatabaseUrl noPassword = DatabaseUrl.parse("postgresql://postgres@127.0.0.1/app");
    assertThat(noPassword.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1/app");
    assertThat(noPassword.user()).contains("postgres");
    assertThat(noPassword.password()).isEmpty();
    DatabaseUrl anonymous = DatabaseUrl.parse(" postgresql://host:5432/db ");
    assertThat(anonymous.jdbcUrl()).isEqualTo("jdbc:postgresql://host:5432/db");
    assertThat(anonymous.user()).isEmpty();
    assertThat(DatabaseUrl.parse("postgresql://u@[::1]:5432/db").jdbcUrl())
        .isEqualTo("jdbc:postgresql://[::1]:5432/db");
  }

  @Test
  void aJdbcUrlPassesThroughUnchanged() {
    String jdbc = "jdbc:postgresql://db.example.com:5432/app?sslmode=verify-full&user=app";
    DatabaseUrl p = DatabaseUrl.parse(jdbc);

    assertThat(p.jdbcUrl()).isEqualTo(jdbc);
    assertThat(p.user()).isEmpty();
    assertThat(p.password()).isEmpty();
  }

  @Test
  void toStringHidesThePassword() {
    DatabaseUrl p = DatabaseUrl.parse("postgresql://user:topsecret@host/db");
    assertThat(p.toString()).doesNotContain("topsecret").contains("***");
  }

  @Test
  void redactHidesPasswordsInUserInfoAndQuery() {
    assertThat(DatabaseUrl.redact("postgresql://user:secret@host:5432/db"))
        .isEqualTo("postgresql://user:***@host:5432/db");
    assertThat(DatabaseUrl.redact("jdbc:postgresql://h/db?user=a&password=secret&ssl=true"))
        .isEqualTo("jdbc:postgresql://h/db?user=a&password=***&ssl=true");
    assertThat(DatabaseUrl.redact("jdbc:postgresql://h/db?sslpassword=secret"))
        .isEqualTo("jdbc:postgresql://h/db?sslpassword=***");
    assertThat(DatabaseUrl.redact("jdbc:postgresql://h/db?PASSWORD=secret"))
        .doesNotContain("secret");
    assertThat(DatabaseUrl.redact("postgresql://user@host/db"))
        .isEqualTo("postgresql://user@host/db");
    assertThat(DatabaseUrl.redact(null)).isNull();
  }

  @Test
  void malformedUrlsAreRejectedWithoutTheirPassword() {
    List<String> urls =
        List.of(
            "mysql://x",
            "mysql://user:secret@host/db",
            "postgresql://user:secret@/db",
            "postgresql://user:secret@host:port/db",
            "postgresql://user:secret@host with space/db",
            "http://user:secret@host/db");
    for (String url : urls) {
      assertThatThrownBy(() -> DatabaseUrl.parse(url))
          .as(url)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("database URL")
          .satisfies(e -> assertThat(e.toString()).doesNotContain("secret"))
          .satisfies(e -> assertThat(e.getCause()).isNull());
    }
    assertThatThrownBy(() -> DatabaseUrl.parse(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("blank");
    assertThatThrownBy(() -> DatabaseUrl.parse(""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("blank");
  }

  @Test
  void aPasswordWithAnUnencodedSlashNeverReachesTheMessage() {
    // People paste passwords raw. A '/' then ends the authority early, so the URL has no usable
    // host; whatever the message says, it must not repeat the password.
    assertThatThrownBy(() -> DatabaseUrl.parse("postgresql://user:s3cr/et@host:5432/db"))
        .isInstanceOf(IllegalArgumentException.class)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cr").doesNotContain("et@"));
  }

  @Test
  void givenCredentialsWinOverTheUrlsAndNullKeepsThem() {
    DatabaseUrl url = DatabaseUrl.parse("postgresql://app:frompath@host/db");

    DatabaseUrl other = url.withCredentials("admin", "given");
    assertThat(other.user()).contains("admin");
    assertThat(other.password()).contains("given");
    assertThat(other.jdbcUrl()).isEqualTo(url.jdbcUrl());
    assertThat(url.withCredentials(null, "given").user()).contains("app");
    assertThat(url.withCredentials("admin", null).password()).contains("frompath");
    assertThat(url.withCredentials(null, null)).isEqualTo(url);
    assertThat(url.user()).as("unchanged").contains("app");
  }

  @Test
  void connectionPropertiesHoldOnlyTheKnownCredentials() {
    Properties both = DatabaseUrl.parse("postgresql://app:pw@host/db").connectionProperties();
    assertThat(both).containsOnly(entry("user", "app"), entry("password", "pw"));
    assertThat(DatabaseUrl.parse("postgresql://app@host/db").connectionProperties())
        .containsOnly(entry("user", "app"));
    assertThat(DatabaseUrl.parse("jdbc:postgresql://host/db?user=app").connectionProperties())
        .isEmpty();
    both.setProperty("ApplicationName", "mine");
    assertThat(DatabaseUrl.parse("postgresql://app:pw@host/db").connectionProperties())
        .as("a new object each time")
        .doesNotContainKey("ApplicationName");
  }

  @Test
  void withDatabaseSwitchesOnlyTheDatabaseName() {
    assertThat(
            DatabaseUrl.parse("jdbc:postgresql://127.0.0.1:5432/postgres")
                .withDatabase("scratch_1")
                .jdbcUrl())
        .isEqualTo("jdbc:postgresql://127.0.0.1:5432/scratch_1");
    assertThat(
            DatabaseUrl.parse("jdbc:postgresql://h:5432/test?loggerLevel=OFF&sslmode=require")
                .withDatabase("other")
                .jdbcUrl())
        .isEqualTo("jdbc:postgresql://h:5432/other?loggerLevel=OFF&sslmode=require");
    assertThat(DatabaseUrl.parse("jdbc:postgresql://[::1]/").withDatabase("x").jdbcUrl())
        .isEqualTo("jdbc:postgresql://[::1]/x");
    assertThat(DatabaseUrl.parse("jdbc:postgresql://h1:5432,h2:5433").withDatabase("x").jdbcUrl())
        .isEqualTo("jdbc:postgresql://h1:5432,h2:5433/x");
    assertThat(DatabaseUrl.parse("jdbc:postgresql:app?ssl=true").withDatabase("x").jdbcUrl())
        .isEqualTo("jdbc:postgresql:x?ssl=true");
    assertThat(DatabaseUrl.parse("jdbc:postgresql://h/db").withDatabase("my db+1").jdbcUrl())
        .as("encoded as the driver decodes it")
        .isEqualTo("jdbc:postgresql://h/my+db%2B1");

    DatabaseUrl url = DatabaseUrl.parse("postgresql://app:pw@host:6543/db?sslmode=require");
    DatabaseUrl other = url.withDatabase("scratch");
    assertThat(other.jdbcUrl()).isEqualTo("jdbc:postgresql://host:6543/scratch?sslmode=require");
    assertThat(other.user()).contains("app");
    assertThat(other.password()).contains("pw");
    assertThat(url.jdbcUrl()).as("unchanged").endsWith("/db?sslmode=require");
  }

  @Test
  void aBlankDatabaseNameIsRefused() {
    DatabaseUrl url = DatabaseUrl.parse("jdbc:postgresql://h/db");
    for (String bad : new String[] {null, "", "  "}) {
      assertThatThrownBy(() -> url.withDatabase(bad))
          .as(String.valueOf(bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("database name must not be blank");
    }
  }

  @Test
  void equalWhenUrlAndCredentialsAreEqual() {
    DatabaseUrl a = DatabaseUrl.parse("postgresql://app:pw@host/db");
    DatabaseUrl b = DatabaseUrl.parse("jdbc:postgresql://host/db").withCredentials("app", "pw");

    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a).isNotEqualTo(a.withCredentials(null, "other"));
    assertThat(a.withCredentials(null, "other").toString()).doesNotContain("other").contains("***");
  }
}
