package dev.mobvibe.queue.internal.engine;

import dev.mobvibe.queue.JobHandler;
import dev.mobvibe.queue.KindOptions;
import java.util.Objects;

/**
 * Where the jobs of one kind go: their handler (a typed handler already wrapped to decode its
 * arguments) and what the kind overrides. Internal API.
 *
 * @param handler runs the jobs of the kind
 * @param options the kind's overrides of attempts, timeout and retry policy
 */
public record KindRoute(JobHandler handler, KindOptions options) {
  /** Checks that both are present. */
  public KindRoute {
    Objects.requireNonNull(handler, "handler must not be null");
    Objects.requireNonNull(options, "options must not be null");
  }
}
