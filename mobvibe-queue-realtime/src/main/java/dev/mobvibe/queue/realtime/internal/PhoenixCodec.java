package dev.mobvibe.queue.realtime.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mobvibe.queue.realtime.RealtimeClient.ProtocolVersion;

/**
 * Phoenix text frames in both serializer versions: 2.0.0 is {@code [join_ref, ref, topic, event,
 * payload]}, 1.0.0 is {@code {"topic", "event", "payload", "ref", "join_ref"}} (the server never
 * sends {@code join_ref} in 1.0.0). Stateless.
 */
final class PhoenixCodec {

  /**
   * One frame.
   *
   * @param joinRef the ref of the join that opened the channel incarnation, or null
   * @param ref the ref of this push or of the push a reply answers, or null
   * @param topic the topic ({@code phoenix} or {@code realtime:<name>})
   * @param event the event
   * @param payload the payload, an object for every event this client knows
   */
  record Message(String joinRef, String ref, String topic, String event, JsonNode payload) {}

  /** A text frame that is not a frame of the negotiated serializer. */
  static final class MalformedFrameException extends Exception {
    private static final long serialVersionUID = 1L;

    MalformedFrameException(String reason) {
      super(reason, null, false, false);
    }
  }

  private PhoenixCodec() {}

  static String encode(ProtocolVersion version, Message m) {
    if (version == ProtocolVersion.V2) {
      ArrayNode frame = Json.MAPPER.createArrayNode();
      frame.add(m.joinRef());
      frame.add(m.ref());
      frame.add(m.topic());
      frame.add(m.event());
      frame.add(m.payload());
      return frame.toString();
    }
    ObjectNode frame = Json.MAPPER.createObjectNode();
    frame.put("topic", m.topic());
    frame.put("event", m.event());
    frame.set("payload", m.payload());
    // Phoenix's V1 decoder requires the ref key; realtime-js omits join_ref on heartbeats.
    frame.put("ref", m.ref());
    if (m.joinRef() != null) {
      frame.put("join_ref", m.joinRef());
    }
    return frame.toString();
  }

  static Message decode(ProtocolVersion version, String text) throws MalformedFrameException {
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw new MalformedFrameException("not JSON");
    }
    if (root == null) {
      throw new MalformedFrameException("empty frame");
    }
    if (version == ProtocolVersion.V2) {
      // The server reads the first five elements and ignores the rest; so do we.
      if (!root.isArray() || root.size() < 5) {
        throw new MalformedFrameException("not a five-element array");
      }
      return message(root.get(0), root.get(1), root.get(2), root.get(3), root.get(4));
    }
    if (!root.isObject()) {
      throw new MalformedFrameException("not a JSON object");
    }
    return message(
        root.get("join_ref"),
        root.get("ref"),
        root.get("topic"),
        root.get("event"),
        root.get("payload"));
  }

  private static Message message(
      JsonNode joinRef, JsonNode ref, JsonNode topic, JsonNode event, JsonNode payload)
      throws MalformedFrameException {
    if (topic == null || !topic.isTextual() || event == null || !event.isTextual()) {
      throw new MalformedFrameException("topic or event missing");
    }
    JsonNode body = payload == null || payload.isNull() ? Json.MAPPER.createObjectNode() : payload;
    return new Message(refText(joinRef), refText(ref), topic.asText(), event.asText(), body);
  }

  private static String refText(JsonNode node) throws MalformedFrameException {
    if (node == null || node.isNull()) {
      return null;
    }
    if (node.isTextual() || node.isNumber()) {
      return node.asText();
    }
    throw new MalformedFrameException("ref is neither a string nor null");
  }
}
