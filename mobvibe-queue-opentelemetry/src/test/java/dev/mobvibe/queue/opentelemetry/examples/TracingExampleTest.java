package dev.mobvibe.queue.opentelemetry.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mobvibe.queue.testing.TestDatabase;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Runs the tracing example against an SDK that keeps its spans in memory. */
class TracingExampleTest {
  @RegisterExtension static final TestDatabase db = new TestDatabase();

  @Test
  void theHandlersSpanNestsUnderAConsumerSpanLinkedToTheRequest() throws Exception {
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    try (OpenTelemetrySdk sdk =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder()
                    .addSpanProcessor(SimpleSpanProcessor.create(exporter))
                    .build())
            .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
            .build()) {
      String jobId = TracingExample.run(db.dataSource(), sdk);

      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> exporter.getFinishedSpanItems().size() == 4);
      SpanData request = span(exporter, "POST /sessions");
      SpanData producer = span(exporter, "publish coding_session");
      SpanData consumer = span(exporter, "process coding_session");
      SpanData sandbox = span(exporter, "start sandbox");

      assertThat(producer.getKind()).isEqualTo(SpanKind.PRODUCER);
      assertThat(producer.getParentSpanId()).isEqualTo(request.getSpanId());
      assertThat(consumer.getKind()).isEqualTo(SpanKind.CONSUMER);
      assertThat(consumer.getAttributes().get(AttributeKey.stringKey("messaging.message.id")))
          .isEqualTo(jobId);
      assertThat(consumer.getLinks())
          .singleElement()
          .satisfies(
              link ->
                  assertThat(link.getSpanContext().getSpanId()).isEqualTo(producer.getSpanId()));
      assertThat(sandbox.getParentSpanId()).isEqualTo(consumer.getSpanId());
    }
  }

  private static SpanData span(InMemorySpanExporter exporter, String name) {
    return exporter.getFinishedSpanItems().stream()
        .filter(s -> s.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no span " + name));
  }
}
