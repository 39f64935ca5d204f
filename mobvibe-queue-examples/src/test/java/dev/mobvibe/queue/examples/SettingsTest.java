package dev.mobvibe.queue.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SettingsTest {

  @Test
  void defaultsAreTheSeeds() {
    Settings s = Settings.parse(Map.of());
    assertThat(s.databaseUrl()).isEmpty();
    assertThat(s.pollInterval()).isEqualTo(Duration.ofMillis(10_000));
    assertThat(s.monitorInterval()).isEqualTo(Duration.ofMillis(30_000));
    assertThat(s.maxConcurrentJobs()).isEqualTo(10);
    assertThat(s.shutdownTimeout()).isEqualTo(Duration.ofMillis(30_000));
    assertThat(s.healthCheckPort()).isEqualTo(8080);
    assertThat(s.healthBindAddress()).isEqualTo("0.0.0.0");
    assertThat(s.logLevel()).isEqualTo("info");
    assertThat(s.jobLease()).isEqualTo(Duration.ofMillis(60_000));
    assertThat(s.reapGrace()).isEqualTo(Duration.ofMillis(60_000));
    assertThat(s.jobTimeout()).contains(Duration.ofMillis(1_800_000));
    assertThat(s.schema()).isEqualTo("public");
    assertThat(s.workerId()).isEmpty();
  }

  @Test
  void readsEveryVariableAndFlagsWin() {
    Map<String, String> env =
        Map.ofEntries(
            Map.entry("DATABASE_URL", "postgresql://bob:pw@db.example.com:5433/app"),
            Map.entry("SUPABASE_URL", "https://abc.supabase.co"),
            Map.entry("SUPABASE_SERVICE_ROLE_KEY", "eyJhbGciOi.secret.key"),
            Map.entry("POLL_INTERVAL_MS", "500"),
            Map.entry("MONITOR_INTERVAL_MS", "1000"),
            Map.entry("MAX_CONCURRENT_JOBS", "4"),
            Map.entry("SHUTDOWN_TIMEOUT_MS", "0"),
            Map.entry("HEALTH_CHECK_PORT", "0"),
            Map.entry("HEALTH_BIND_ADDRESS", "127.0.0.1"),
            Map.entry("LOG_LEVEL", "DEBUG"),
            Map.entry("JOB_LEASE_MS", "5000"),
            Map.entry("REAP_GRACE_MS", "0"),
            Map.entry("JOB_TIMEOUT_MS", "0"),
            Map.entry("QUEUE_SCHEMA", "jobs"),
            Map.entry("WORKER_ID", "w-1"));
    Settings s = Settings.parse(env, Map.of("MAX_CONCURRENT_JOBS", "7", "LOG_LEVEL", "warn"));
    assertThat(s.databaseUrl()).contains("postgresql://bob:pw@db.example.com:5433/app");
    assertThat(s.supabaseUrl()).contains("https://abc.supabase.co");
    assertThat(s.supabaseServiceRoleKey()).contains("eyJhbGciOi.secret.key");
    assertThat(s.pollInterval()).isEqualTo(Duration.ofMillis(500));
    assertThat(s.monitorInterval()).isEqualTo(Duration.ofMillis(1000));
    assertThat(s.maxConcurrentJobs()).isEqualTo(7);
    assertThat(s.shutdownTimeout()).isZero();
    assertThat(s.healthCheckPort()).isZero();
    assertThat(s.healthBindAddress()).isEqualTo("127.0.0.1");
    assertThat(s.logLevel()).isEqualTo("warn");
    assertThat(s.jobLease()).isEqualTo(Duration.ofMillis(5000));
    assertThat(s.reapGrace()).isZero();
    assertThat(s.jobTimeout()).isEmpty();
    assertThat(s.schema()).isEqualTo("jobs");
    assertThat(s.workerId()).contains("w-1");
  }

  @Test
  void blankValuesAreUnset() {
    Settings s = Settings.parse(Map.of("MAX_CONCURRENT_JOBS", "  ", "DATABASE_URL", ""));
    assertThat(s.maxConcurrentJobs()).isEqualTo(10);
    assertThat(s.databaseUrl()).isEmpty();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "MAX_CONCURRENT_JOBS | abc | MAX_CONCURRENT_JOBS must be an integer between 1 and 1000, was 'abc'",
        "MAX_CONCURRENT_JOBS | 0 | MAX_CONCURRENT_JOBS must be an integer between 1 and 1000, was '0'",
        "POLL_INTERVAL_MS | 5 | POLL_INTERVAL_MS must be an integer between 10 and 3600000, was '5'",
        "MONITOR_INTERVAL_MS | 1.5 | MONITOR_INTERVAL_MS must be an integer between 10 and 86400000, was '1.5'",
        "SHUTDOWN_TIMEOUT_MS | -1 | SHUTDOWN_TIMEOUT_MS must be an integer between 0 and 3600000, was '-1'",
        "HEALTH_CHECK_PORT | 70000 | HEALTH_CHECK_PORT must be an integer between 0 and 65535, was '70000'",
        "JOB_LEASE_MS | 50 | JOB_LEASE_MS must be an integer between 100 and 86400000, was '50'",
        "JOB_TIMEOUT_MS | soon | JOB_TIMEOUT_MS must be an integer between 0 and 604800000, was 'soon'",
        "LOG_LEVEL | loud | LOG_LEVEL must be one of trace, debug, info, warn, error, off, was 'loud'",
        "QUEUE_SCHEMA | Public; drop | QUEUE_SCHEMA must be a lower-case SQL identifier, was 'Public; drop'",
        "WORKER_ID | a b | WORKER_ID must be 1 to 100 letters, digits, '.', '_', ':' or '-' characters, was 'a b'",
        "HEALTH_BIND_ADDRESS | 0.0.0.0 x | HEALTH_BIND_ADDRESS must be an IP address (0.0.0.0: every interface; 127.0.0.1: this machine only) or a host name, was '0.0.0.0 x'",
        "HEALTH_BIND_ADDRESS | http://h/ | HEALTH_BIND_ADDRESS must be an IP address (0.0.0.0: every interface; 127.0.0.1: this machine only) or a host name, was 'http://h/'",
      })
  void rejectsBadValuesNamingTheSetting(String name, String value, String message) {
    assertThatThrownBy(() -> Settings.parse(Map.of(name, value)))
        .isInstanceOf(Settings.Invalid.class)
        .hasMessage(message);
  }

  @ParameterizedTest
  @CsvSource({
    "https://abc.supabase.co",
    "wss://abc.supabase.co",
    "http://localhost:54321",
    "http://kong:8000",
    "ws://realtime.internal:4000/"
  })
  void acceptsSupabaseUrlsTheRealtimeClientAccepts(String url) {
    Settings s = Settings.parse(Map.of("SUPABASE_URL", url));
    assertThat(s.supabaseUrl()).contains(url);
    assertThat(s.realtimeUrl()).isEqualTo(url);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "ftp://x | SUPABASE_URL must start with https:// or wss:// (http:// or ws:// on a private network), was 'ftp://x'",
        "http:// | SUPABASE_URL is not a URL, was 'http://'",
        "https:///nohost | SUPABASE_URL must name a host, was 'https:///nohost'",
        "not a url | SUPABASE_URL is not a URL, was 'not a url'",
        "https://u:tok3n@/x?apikey=k3y | SUPABASE_URL must name a host, was 'https://***@/x?***'",
      })
  void supabaseUrlIsCheckedOnlyWhenRealtimeUsesIt(String value, String message) {
    // Any other command parses it without complaint...
    Settings s = Settings.parse(Map.of("SUPABASE_URL", value));
    assertThat(s.supabaseUrl()).contains(value);
    // ...and the Realtime notifier names it.
    assertThatThrownBy(s::realtimeUrl).isInstanceOf(Settings.Invalid.class).hasMessage(message);
  }

  @Test
  void aBadSupabaseUrlFlagIsNamedAsTheFlag() {
    Settings s = Settings.parse(Map.of(), Map.of("SUPABASE_URL", "gopher://x"));
    assertThatThrownBy(s::realtimeUrl).hasMessageStartingWith("--supabase-url (SUPABASE_URL) must");
    assertThatThrownBy(() -> Settings.parse(Map.of()).realtimeUrl())
        .isInstanceOf(Settings.Invalid.class)
        .hasMessage("SUPABASE_URL is required for the Supabase Realtime notifier");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "https://abc.supabase.co | https://abc.supabase.co",
        "https://abc.supabase.co/ | https://abc.supabase.co/",
        "https://user:tok3n@abc.supabase.co | https://***@abc.supabase.co",
        "https://tok3n@abc.supabase.co/x | https://***@abc.supabase.co/x",
        "https://u:p/a@ss@abc.supabase.co | https://***@abc.supabase.co",
        "https://abc.supabase.co/?apikey=tok3n | https://abc.supabase.co/?***",
        "wss://abc.supabase.co#access_token=tok3n | wss://abc.supabase.co?***",
        "kong:tok3n@kong:8000 | ***@kong:8000",
        "http://a:tok3n@kong:8000/x?y=tok3n | http://***@kong:8000/x?***",
      })
  void redactUrlDropsCredentialsAndQueries(String url, String shown) {
    assertThat(Settings.redactUrl(url)).isEqualTo(shown);
  }

  @ParameterizedTest
  @CsvSource({"0.0.0.0", "127.0.0.1", "::", "[::1]", "fe80::1%eth0", "health.internal"})
  void acceptsAddressesAndHostNamesToBindTo(String address) {
    assertThat(Settings.parse(Map.of("HEALTH_BIND_ADDRESS", address)).healthBindAddress())
        .isEqualTo(address);
    assertThat(Settings.parse(Map.of(), Map.of("HEALTH_BIND_ADDRESS", address)).toString())
        .contains("healthBindAddress=" + address + ",");
  }

  @Test
  void aBadFlagIsNamedAsTheFlag() {
    assertThatThrownBy(() -> Settings.parse(Map.of(), Map.of("MAX_CONCURRENT_JOBS", "many")))
        .hasMessage(
            "--max-concurrent-jobs (MAX_CONCURRENT_JOBS) must be an integer between 1 and 1000,"
                + " was 'many'");
  }

  @Test
  void secretsNeverReachMessagesOrToString() {
    assertThatThrownBy(() -> Settings.parse(Map.of("DATABASE_URL", "mysql://bob:hunter2@h/db")))
        .isInstanceOf(Settings.Invalid.class)
        .hasMessageStartingWith("DATABASE_URL is not usable: ")
        .hasMessageNotContaining("hunter2");
    assertThatThrownBy(
            () -> Settings.parse(Map.of("SUPABASE_SERVICE_ROLE_KEY", "sb_secret_abc def")))
        .hasMessage("SUPABASE_SERVICE_ROLE_KEY must not contain whitespace (value not shown)")
        .hasMessageNotContaining("sb_secret");
    Settings s =
        Settings.parse(
            Map.of(
                "DATABASE_URL",
                "postgresql://bob:hunter2@db.example.com/app",
                "SUPABASE_SERVICE_ROLE_KEY",
                "sb_secret_abc"));
    assertThat(s.toString()).doesNotContain("hunter2").doesNotContain("sb_secret_abc");
    assertThat(s.toString()).contains("supabaseServiceRoleKey=***").contains("bob:***@");

    s =
        Settings.parse(
            Map.of("SUPABASE_URL", "https://svc:tok3n@abc.supabase.co/?apikey=sb_secret_abc"));
    assertThat(s.toString())
        .contains("supabaseUrl=https://***@abc.supabase.co/?***,")
        .doesNotContain("tok3n")
        .doesNotContain("sb_secret_abc");
  }

  @Test
  void theCliPrintsOneLineAndExitsWithTwo() {
    CliRunner.Result r = CliRunner.run(Map.of("MAX_CONCURRENT_JOBS", "abc"), "worker");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.err())
        .isEqualTo(
            "error: MAX_CONCURRENT_JOBS must be an integer between 1 and 1000, was 'abc'"
                + System.lineSeparator());

    // The default command is worker, also with options only.
    r = CliRunner.run(Map.of(), "--health-check-port", "-3");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err())
        .isEqualTo(
            "error: --health-check-port (HEALTH_CHECK_PORT) must be an integer between 0 and"
                + " 65535, was '-3'"
                + System.lineSeparator());
  }

  @Test
  void theCliNeverPrintsTheDatabasePassword() {
    CliRunner.Result r =
        CliRunner.run(Map.of("DATABASE_URL", "postgresql://bob:hunter2@/nohost"), "stats");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).startsWith("error: DATABASE_URL is not usable: ").doesNotContain("hunter2");
    assertThat(r.err().lines()).hasSize(1);

    r =
        CliRunner.run(
            Map.of(
                "SUPABASE_SERVICE_ROLE_KEY", "sb_secret_xyz 1", "DATABASE_URL", "postgres://h/db"),
            "worker");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).doesNotContain("sb_secret_xyz");
  }

  @Test
  void commandArgumentsAreCheckedToo() {
    CliRunner.Result r = CliRunner.run(Map.of(), "enqueue", "--tier", "gold");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err())
        .isEqualTo(
            "error: --tier must be pro, starter or free, was 'gold'" + System.lineSeparator());
    r = CliRunner.run(Map.of(), "enqueue", "--delay", "soon");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--delay must be a duration like 500ms, 30s, 5m, 1h, 1d or PT1M");
    r = CliRunner.run(Map.of(), "worker", "--fail-rate", "2");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err())
        .isEqualTo("error: --fail-rate must be between 0 and 1, was 2.0" + System.lineSeparator());
    r = CliRunner.run(Map.of(), "jobs", "show", "not-a-uuid");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("ID must be a job id (a UUID), was 'not-a-uuid'");
    r = CliRunner.run(Map.of(), "demo", "--schema", "public");
    assertThat(r.code()).isEqualTo(2);
    r = CliRunner.run(Map.of(), "no-such-command");
    assertThat(r.code()).isEqualTo(2);
  }

  @Test
  void durationsInTheShortAndTheIsoForm() {
    assertThat(Cli.parseDuration("--delay", "500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Cli.parseDuration("--delay", "30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(Cli.parseDuration("--delay", "5m")).isEqualTo(Duration.ofMinutes(5));
    assertThat(Cli.parseDuration("--delay", "2h")).isEqualTo(Duration.ofHours(2));
    assertThat(Cli.parseDuration("--delay", "1d")).isEqualTo(Duration.ofDays(1));
    assertThat(Cli.parseDuration("--delay", "PT1M")).isEqualTo(Duration.ofMinutes(1));
    assertThat(Cli.parseDuration("--delay", "pt90s")).isEqualTo(Duration.ofSeconds(90));
    assertThatThrownBy(() -> Cli.parseDuration("--delay", "-PT1S"))
        .isInstanceOf(CliException.class);
  }

  @Test
  void noCommandMeansWorker() {
    assertThat(Main.withDefaultCommand(new String[0])).containsExactly("worker");
    assertThat(Main.withDefaultCommand(new String[] {"--work-ms", "5"}))
        .containsExactly("worker", "--work-ms", "5");
    assertThat(Main.withDefaultCommand(new String[] {"--help"})).containsExactly("--help");
    assertThat(Main.withDefaultCommand(new String[] {"stats"})).containsExactly("stats");
  }
}
