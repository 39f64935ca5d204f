package dev.mobvibe.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The contract every {@link RetryPolicy} keeps, run against each shipped implementation. */
class RetryPolicyContractTest {

  static Stream<Arguments> policies() {
    return Stream.of(
        Arguments.of("default", RetryPolicy.defaultPolicy(), RetryPolicy.DEFAULT_CAP),
        Arguments.of(
            "exponential",
            RetryPolicy.exponential(Duration.ofMillis(100), 3, Duration.ofSeconds(5)),
            Duration.ofSeconds(5)),
        Arguments.of(
            "no jitter",
            RetryPolicy.exponentialWithoutJitter(Duration.ofMillis(100), 2, Duration.ofSeconds(1)),
            Duration.ofSeconds(1)),
        Arguments.of("fixed", RetryPolicy.fixed(Duration.ofSeconds(2)), Duration.ofSeconds(2)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("policies")
  void delaysAreNeverNegativeAndNeverAboveTheCap(String name, RetryPolicy policy, Duration cap) {
    for (int attempt = 1; attempt <= 100; attempt++) {
      for (int sample = 0; sample < 20; sample++) {
        Duration d = policy.backoff(attempt);
        assertThat(d.isNegative()).as("%s attempt %d negative", name, attempt).isFalse();
        assertThat(d).as("%s attempt %d", name, attempt).isLessThanOrEqualTo(cap);
      }
    }
  }

  @Test
  void withoutJitterGrowsExponentiallyUpToTheCap() {
    RetryPolicy p =
        RetryPolicy.exponentialWithoutJitter(Duration.ofSeconds(1), 2, Duration.ofSeconds(10));
    assertThat(p.backoff(1)).isEqualTo(Duration.ofSeconds(1));
    assertThat(p.backoff(2)).isEqualTo(Duration.ofSeconds(2));
    assertThat(p.backoff(3)).isEqualTo(Duration.ofSeconds(4));
    assertThat(p.backoff(4)).isEqualTo(Duration.ofSeconds(8));
    assertThat(p.backoff(5)).isEqualTo(Duration.ofSeconds(10));
    assertThat(p.backoff(60)).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void fullJitterSpreadsBelowTheCeiling() {
    RetryPolicy p = RetryPolicy.exponential(Duration.ofSeconds(1), 2, Duration.ofMinutes(10));
    long distinct =
        Stream.generate(() -> p.backoff(4)).limit(200).map(Duration::toMillis).distinct().count();
    assertThat(distinct).isGreaterThan(50);
    assertThat(Stream.generate(() -> p.backoff(4)).limit(200))
        .allSatisfy(d -> assertThat(d).isLessThanOrEqualTo(Duration.ofSeconds(8)));
  }

  @Test
  void badArgumentsAreRejectedByName() {
    assertThatThrownBy(() -> RetryPolicy.exponential(Duration.ZERO, 2, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("base");
    assertThatThrownBy(
            () -> RetryPolicy.exponential(Duration.ofSeconds(1), 0.5, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("factor");
    assertThatThrownBy(
            () -> RetryPolicy.exponential(Duration.ofSeconds(2), 2, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cap");
    assertThatThrownBy(() -> RetryPolicy.fixed(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("delay");
    assertThatThrownBy(() -> RetryPolicy.defaultPolicy().backoff(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("failedAttempt");
  }

  @Test
  void noFactoryBuildsAPolicyThatCanWaitLongerThanMaxBackoff() {
    Duration tooLong = RetryPolicy.MAX_BACKOFF.plusSeconds(1);
    assertThatThrownBy(() -> RetryPolicy.fixed(tooLong))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("delay")
        .hasMessageContaining(tooLong.toString());
    assertThatThrownBy(() -> RetryPolicy.exponential(Duration.ofSeconds(1), 2, tooLong))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cap")
        .hasMessageContaining(tooLong.toString());
    assertThatThrownBy(
            () -> RetryPolicy.exponentialWithoutJitter(Duration.ofSeconds(1), 2, tooLong))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cap");
    assertThat(RetryPolicy.fixed(RetryPolicy.MAX_BACKOFF).backoff(1))
        .isEqualTo(RetryPolicy.MAX_BACKOFF);
    assertThat(
            RetryPolicy.exponentialWithoutJitter(Duration.ofDays(1), 10, RetryPolicy.MAX_BACKOFF)
                .backoff(60))
        .isEqualTo(RetryPolicy.MAX_BACKOFF);
  }
}
