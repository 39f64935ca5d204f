package dev.mobvibe.queue.internal;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/** The SDK's default JSON mapper. Internal API. */
public final class JsonMappers {
  private static final ObjectMapper STANDARD = create();

  private JsonMappers() {}

  /**
   * Jackson's defaults plus the {@code java.time} module, with dates, times and durations written
   * as ISO-8601 strings, and offsets kept when read back. Shared and thread-safe; do not
   * reconfigure it.
   *
   * @return the mapper
   */
  public static ObjectMapper standard() {
    return STANDARD;
  }

  /**
   * A new mapper configured as {@link #standard()}, for a caller that may reconfigure it.
   *
   * @return the mapper
   */
  public static ObjectMapper create() {
    return JsonMapper.builder()
        .addModule(new JavaTimeModule())
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
        // An OffsetDateTime or ZonedDateTime reads back with the offset it was written with, not
        // moved to UTC, so arguments round-trip equal.
        .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
        .build();
  }
}
