package dev.mobvibe.queue.opentelemetry;

import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.Map;

/** Reads and writes a propagator's fields in a job's metadata map. */
final class MetadataCarrier {

  /** Writes into a mutable map, which then becomes the job's metadata entries. */
  static final TextMapSetter<Map<String, String>> SETTER =
      (carrier, key, value) -> {
        if (carrier != null) {
          carrier.put(key, value);
        }
      };

  /** Reads a stored job's metadata. */
  static final TextMapGetter<Map<String, String>> GETTER =
      (carrier, key) -> carrier == null ? null : carrier.get(key);

  private MetadataCarrier() {}
}
