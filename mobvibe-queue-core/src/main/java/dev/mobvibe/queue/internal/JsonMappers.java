package dev.mobvibe.queue.internal;

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
   * as ISO-8601 strings. Shared and thread-safe; do not reconfigure it.
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
        .build();
  }
}
