package dev.mobvibe.queue.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mobvibe.queue.JobStatus;
import dev.mobvibe.queue.UniqueOptions;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.UUID;

/**
 * The unique key of a job ({@link UniqueOptions}): the SHA-256, in lower-case hex, of the kind, the
 * canonical JSON of the chosen argument fields and the period's bucket, one per line. Canonical
 * JSON is Jackson's compact text with the keys of every object sorted; arrays keep their order. The
 * bucket is {@code <period seconds>:<floor(epochSeconds / period seconds)>}, so equal bucket
 * numbers of different periods do not collide, or empty without a period. Stateless.
 */
final class UniqueKeys {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private UniqueKeys() {}

  /**
   * Computes a job's key.
   *
   * @param kind the job's kind
   * @param args the arguments as the queue's mapper writes them: a JSON object
   * @param unique the options
   * @param time the job's time, placed in the period's bucket
   * @return 64 hex characters
   * @throws IllegalArgumentException if the arguments lack a chosen field
   */
  static String key(String kind, JsonNode args, UniqueOptions unique, Instant time) {
    JsonNode chosen = args;
    if (!unique.fields().isEmpty()) {
      ObjectNode subset = NODES.objectNode();
      for (String field : unique.fields()) {
        JsonNode value = args.get(field);
        if (value == null) {
          throw new IllegalArgumentException(
              "unique field '" + field + "' is not among the arguments of kind " + kind);
        }
        subset.set(field, value);
      }
      chosen = subset;
    }
    String bucket = unique.period().map(p -> bucket(p, time)).orElse("");
    String text = kind + "\n" + canonical(chosen) + "\n" + bucket;
    return HexFormat.of().formatHex(sha256().digest(text.getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * The arguments of a prompt job for its unique key: {@code prompt}, and {@code sessionId} when
   * the job joins an existing session.
   */
  static JsonNode promptArgs(String prompt, UUID sessionId) {
    ObjectNode args = NODES.objectNode();
    args.put("prompt", prompt);
    if (sessionId != null) {
      args.put("sessionId", sessionId.toString());
    }
    return args;
  }

  /** The states as a PostgreSQL array literal of their database names: {@code {pending,...}}. */
  static String statesLiteral(UniqueOptions unique) {
    StringJoiner joined = new StringJoiner(",", "{", "}");
    for (JobStatus s : unique.states()) {
      joined.add(s.dbValue());
    }
    return joined.toString();
  }

  private static String bucket(Duration period, Instant time) {
    long seconds = period.getSeconds();
    return seconds + ":" + Math.floorDiv(time.getEpochSecond(), seconds);
  }

  static String canonical(JsonNode node) {
    return sorted(node).toString();
  }

  private static JsonNode sorted(JsonNode node) {
    if (node.isObject()) {
      List<String> names = new ArrayList<>(node.size());
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        names.add(e.getKey());
      }
      Collections.sort(names);
      ObjectNode copy = NODES.objectNode();
      for (String name : names) {
        copy.set(name, sorted(node.get(name)));
      }
      return copy;
    }
    if (node.isArray()) {
      ArrayNode copy = NODES.arrayNode(node.size());
      for (JsonNode element : node) {
        copy.add(sorted(element));
      }
      return copy;
    }
    return node;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform provides SHA-256", e);
    }
  }
}
