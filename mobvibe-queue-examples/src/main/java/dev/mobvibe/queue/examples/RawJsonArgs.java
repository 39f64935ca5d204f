package dev.mobvibe.queue.examples;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonSerializable;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.jsontype.TypeSerializer;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mobvibe.queue.JobArgs;
import java.io.IOException;
import java.util.Objects;

/**
 * Arguments given as raw JSON, for a job of a kind this program has no type for ({@code enqueue
 * --kind K --args JSON}): they are written as the object itself, whatever its fields.
 *
 * @param kind the job's kind
 * @param json the arguments, a JSON object; not modified after construction
 */
record RawJsonArgs(String kind, ObjectNode json) implements JobArgs, JsonSerializable {

  RawJsonArgs {
    Objects.requireNonNull(kind, "kind must not be null");
    json = Objects.requireNonNull(json, "json must not be null").deepCopy();
  }

  @Override
  public void serialize(JsonGenerator gen, SerializerProvider serializers) throws IOException {
    gen.writeTree(json);
  }

  @Override
  public void serializeWithType(
      JsonGenerator gen, SerializerProvider serializers, TypeSerializer typeSer)
      throws IOException {
    serialize(gen, serializers); // the arguments are plain JSON: no type information to add
  }
}
