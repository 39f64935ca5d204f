package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mobvibe.queue.internal.ConnectionUrls;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Unit tests of {@link ConnectionUrls}: the URL forms users paste, and secrets kept out. */
class ConnectionUrlsTest {

  @Test
  void aPostgresqlUrlBecomesAJdbcUrlWithDecodedCredentials() {
    ConnectionUrls.Parsed p =
        ConnectionUrls.parse("postgresql://user:p%40ss@host:6543/db?sslmode=require");

    assertThat(p.jdbcUrl()).isEqualTo("jdbc:postgresql://host:6543/db?sslmode=require");
    assertThat(p.user()).isEqualTo("user");
    assertThat(p.password()).isEqualTo("p@ss");
  }

  @Test
  void theSupabasePoolerFormWithAnEncodedPassword() {
    ConnectionUrls.Parsed p =
        ConnectionUrls.parse(
            "postgres://postgres.abcdefgh:s3cr%2Ft%3Fx@aws-0-eu-central-1.pooler.supabase.com:6543/postgres");

    assertThat(p.jdbcUrl())
        .isEqualTo("jdbc:postgresql://aws-0-eu-central-1.pooler.supabase.com:6543/postgres");
    assertThat(p.user()).isEqualTo("postgres.abcdefgh");
    assertThat(p.password()).isEqualTo("s3cr/t?x");
  }

  @Test
  void aPlusInThePasswordIsAPlus() {
    // In a URI's user info '+' is a literal character; only form encoding turns it into a space.
    ConnectionUrls.Parsed p = ConnectionUrls.parse("postgresql://user:a+b@host/db");

    assertThat(p.password()).isEqualTo("a+b");
  }

  @Test
  void defaultsAndOptionalParts() {
    assertThat(ConnectionUrls.parse("postgresql://host").jdbcUrl())
        .isEqualTo("jdbc:postgresql://host/postgres");
    assertThat(ConnectionUrls.parse("postgresql://host/").jdbcUrl())
        .isEqualTo("jdbc:postgresql://host/postgres");
    ConnectionUrls.Parsed noPassword = ConnectionUrls.parse("postgresql://postgres@127.0.0.1/app");
    assertThat(noPassword.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1/app");
    assertThat(noPassword.user()).isEqualTo("postgres");
    assertThat(noPassword.password()).isNull();
    ConnectionUrls.Parsed anonymous = ConnectionUrls.parse(" postgresql://host:5432/db ");
    assertThat(anonymous.jdbcUrl()).isEqualTo("jdbc:postgresql://host:5432/db");
    assertThat(anonymous.user()).isNull();
    assertThat(ConnectionUrls.parse("postgresql://u@[::1]:5432/db").jdbcUrl())
        .isEqualTo("jdbc:postgresql://[::1]:5432/db");
  }

  @Test
  void aJdbcUrlPassesThroughUnchanged() {
    String jdbc = "jdbc:postgresql://db.example.com:5432/app?sslmode=verify-full&user=app";
    ConnectionUrls.Parsed p = ConnectionUrls.parse(jdbc);

    assertThat(p.jdbcUrl()).isEqualTo(jdbc);
    assertThat(p.user()).isNull();
    assertThat(p.password()).isNull();
  }

  @Test
  void parsedToStringHidesThePassword() {
    ConnectionUrls.Parsed p = ConnectionUrls.parse("postgresql://user:topsecret@host/db");
    assertThat(p.toString()).doesNotContain("topsecret").contains("***");
  }

  @Test
  void redactHidesPasswordsInUserInfoAndQuery() {
    assertThat(ConnectionUrls.redact("postgresql://user:secret@host:5432/db"))
        .isEqualTo("postgresql://user:***@host:5432/db");
    assertThat(ConnectionUrls.redact("jdbc:postgresql://h/db?user=a&password=secret&ssl=true"))
        .isEqualTo("jdbc:postgresql://h/db?user=a&password=***&ssl=true");
    assertThat(ConnectionUrls.redact("jdbc:postgresql://h/db?sslpassword=secret"))
        .isEqualTo("jdbc:postgresql://h/db?sslpassword=***");
    assertThat(ConnectionUrls.redact("jdbc:postgresql://h/db?PASSWORD=secret"))
        .doesNotContain("secret");
    assertThat(ConnectionUrls.redact("postgresql://user@host/db"))
        .isEqualTo("postgresql://user@host/db");
    assertThat(ConnectionUrls.redact(null)).isNull();
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
      assertThatThrownBy(() -> ConnectionUrls.parse(url))
          .as(url)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("database URL")
          .satisfies(e -> assertThat(e.toString()).doesNotContain("secret"))
          .satisfies(e -> assertThat(e.getCause()).isNull());
    }
    assertThatThrownBy(() -> ConnectionUrls.parse(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("blank");
    assertThatThrownBy(() -> ConnectionUrls.parse(""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("blank");
  }

  @Test
  void aPasswordWithAnUnencodedSlashNeverReachesTheMessage() {
    // People paste passwords raw. A '/' then ends the authority early, so the URL has no usable
    // host; whatever the message says, it must not repeat the password.
    assertThatThrownBy(() -> ConnectionUrls.parse("postgresql://user:s3cr/et@host:5432/db"))
        .isInstanceOf(IllegalArgumentException.class)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cr").doesNotContain("et@"));
  }
}
