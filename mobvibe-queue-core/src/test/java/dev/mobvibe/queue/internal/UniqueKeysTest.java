package dev.mobvibe.queue.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mobvibe.queue.JobStatus;
import dev.mobvibe.queue.UniqueOptions;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * The unique key's format is stored in every unique job's row: a change would let a duplicate of a
 * job enqueued by the previous version in. The expected digests were computed outside Java.
 */
class UniqueKeysTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Instant TIME = Instant.ofEpochSecond(1_700_000_000L);

  @Test
  void theKeyIsTheDigestOfKindCanonicalJsonAndBucket() throws Exception {
    JsonNode args = JSON.readTree("{\"b\": \"x\", \"a\": [{\"d\": 1, \"c\": 2}]}");

    assertThat(UniqueKeys.canonical(args)).isEqualTo("{\"a\":[{\"c\":2,\"d\":1}],\"b\":\"x\"}");
    assertThat(UniqueKeys.key("send_email", args, UniqueOptions.byArgs(), TIME))
        .isEqualTo("baf30feb754e74c4ab12da5d58a4a358465b2618b2ed4945ef1a98f02955da4c");
    assertThat(
            UniqueKeys.key(
                "send_email",
                args,
                UniqueOptions.byArgs("b").period(Duration.ofHours(1)),
                TIME.plusSeconds(59)))
        .isEqualTo("3e790e4637706f8434a2d3b63dd31a65aafaf1ec3346e5ec2524dea32257c151");
  }

  @Test
  void bucketsOfDifferentPeriodsDoNotCollideAndTimesBeforeTheEpochFloor() throws Exception {
    JsonNode args = JSON.readTree("{\"a\": 1}");
    UniqueOptions seconds = UniqueOptions.byArgs().period(Duration.ofSeconds(1));
    UniqueOptions minutes = UniqueOptions.byArgs().period(Duration.ofMinutes(1));

    // Bucket 0 of both periods: the period is part of the key.
    assertThat(UniqueKeys.key("k", args, seconds, Instant.EPOCH))
        .isNotEqualTo(UniqueKeys.key("k", args, minutes, Instant.EPOCH));
    // floor, not truncation toward zero: one second before the epoch is bucket -1.
    assertThat(UniqueKeys.key("k", args, minutes, Instant.EPOCH.minusSeconds(1)))
        .isNotEqualTo(UniqueKeys.key("k", args, minutes, Instant.EPOCH))
        .isEqualTo(UniqueKeys.key("k", args, minutes, Instant.EPOCH.minusSeconds(60)));
  }

  @Test
  void aMissingFieldNamesTheFieldAndTheKind() throws Exception {
    JsonNode args = JSON.readTree("{\"a\": 1}");
    assertThatThrownBy(() -> UniqueKeys.key("k", args, UniqueOptions.byArgs("a", "z"), TIME))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'z'")
        .hasMessageContaining("kind k");
    // A field present with a null value is there.
    assertThat(UniqueKeys.key("k", JSON.readTree("{\"z\": null}"), UniqueOptions.byArgs("z"), TIME))
        .hasSize(64);
  }

  @Test
  void statesAreWrittenAsAnArrayLiteralOfDatabaseNames() {
    assertThat(UniqueKeys.statesLiteral(UniqueOptions.byArgs()))
        .isEqualTo("{pending,processing,completed}");
    assertThat(
            UniqueKeys.statesLiteral(
                UniqueOptions.byArgs()
                    .states(
                        EnumSet.of(JobStatus.CANCELLED, JobStatus.PROCESSING, JobStatus.PENDING))))
        .isEqualTo("{pending,processing,cancelled}");
  }
}
