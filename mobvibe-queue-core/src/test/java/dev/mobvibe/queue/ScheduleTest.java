package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

/** Tick arithmetic of {@link Schedule}: cron in a time zone across DST changes, and intervals. */
class ScheduleTest {
  private static final ZoneId PARIS = ZoneId.of("Europe/Paris");

  @Test
  void cronInParisFollowsSpringForward() {
    Schedule nightly = Schedule.cron("0 3 * * *", PARIS);
    // 2026-03-28 03:00 CET is 02:00Z; Paris moves to CEST (UTC+2) on the night of 2026-03-29.
    Instant saturday = Instant.parse("2026-03-28T02:00:00Z");
    Instant sunday = nightly.next(saturday).orElseThrow();
    assertThat(sunday).isEqualTo(Instant.parse("2026-03-29T01:00:00Z"));
    assertThat(Duration.between(saturday, sunday)).isEqualTo(Duration.ofHours(23));
    assertThat(nightly.next(sunday)).contains(Instant.parse("2026-03-30T01:00:00Z"));
  }

  @Test
  void cronInParisFollowsFallBack() {
    Schedule nightly = Schedule.cron("0 3 * * *", PARIS);
    // 2026-10-24 03:00 CEST is 01:00Z; Paris moves back to CET (UTC+1) on 2026-10-25.
    Instant saturday = Instant.parse("2026-10-24T01:00:00Z");
    Instant sunday = nightly.next(saturday).orElseThrow();
    assertThat(sunday).isEqualTo(Instant.parse("2026-10-25T02:00:00Z"));
    assertThat(Duration.between(saturday, sunday)).isEqualTo(Duration.ofHours(25));
  }

  @Test
  void nextIsStrictlyAfterAndLatestIsAtOrBefore() {
    Schedule hourly = Schedule.cron("0 * * * *", PARIS);
    Instant onTick = Instant.parse("2026-06-01T10:00:00Z");
    assertThat(hourly.next(onTick)).contains(Instant.parse("2026-06-01T11:00:00Z"));
    assertThat(hourly.latest(onTick)).contains(onTick);
    assertThat(hourly.latest(onTick.plusSeconds(59 * 60))).contains(onTick);
    assertThat(hourly.latest(onTick.minusMillis(1)))
        .contains(Instant.parse("2026-06-01T09:00:00Z"));
  }

  @Test
  void cronWithoutZoneIsUtc() {
    Schedule s = Schedule.cron("30 2 * * 1-5");
    assertThat(s.zone()).isEqualTo(Schedule.UTC);
    assertThat(s.next(Instant.parse("2026-12-04T03:00:00Z"))) // Friday, after 02:30
        .contains(Instant.parse("2026-12-07T02:30:00Z")); // Monday
  }

  @Test
  void intervalsTickOnMultiplesSinceTheEpoch() {
    Schedule five = Schedule.every(Duration.ofMinutes(5));
    assertThat(five.expression()).isEqualTo("@every PT5M");
    assertThat(five.zone().getId()).isEqualTo("UTC");
    Instant t = Instant.parse("2026-06-01T10:07:12.345Z");
    assertThat(five.latest(t)).contains(Instant.parse("2026-06-01T10:05:00Z"));
    assertThat(five.next(t)).contains(Instant.parse("2026-06-01T10:10:00Z"));
    assertThat(five.next(Instant.parse("2026-06-01T10:10:00Z")))
        .contains(Instant.parse("2026-06-01T10:15:00Z"));
    assertThat(five.interval()).contains(Duration.ofMinutes(5));
  }

  @Test
  void badSchedulesAreReportedNotThrownWhenMade() {
    assertThat(Schedule.cron("0 3 * *", PARIS).problem())
        .contains("'0 3 * *'")
        .contains("UNIX cron");
    assertThat(Schedule.cron("0 0 3 * * *", PARIS).problem()).contains("'0 0 3 * * *'");
    assertThat(Schedule.cron("61 * * * *").problem()).contains("'61 * * * *'");
    assertThat(Schedule.every(Duration.ofMillis(500)).problem()).contains("PT0.5S");
    assertThat(Schedule.cron("0 3 * * *", PARIS).problem()).isNull();
    assertThatThrownBy(() -> Schedule.cron("nope").next(Instant.EPOCH))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("'nope'");
  }
}
