package dev.mobvibe.queue;

import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link JobHandler} gets besides its job: the attempt number, a cancellation signal,
 * heartbeats and session events. One context per attempt; passed as a parameter, never through a
 * thread-local. Thread-safe: a handler may hand it to threads of its own.
 */
public interface JobContext {

  /**
   * The most data one session event may carry: 1 MiB (1,048,576 bytes) of JSON in UTF-8. Larger
   * data belongs in storage of its own, with a reference in the event.
   */
  int MAX_EVENT_DATA_BYTES = 1 << 20;

  /**
   * The largest output a job may record: 64 KiB (65,536 bytes) of JSON in UTF-8. Output is a small
   * result (an id, a count, a summary); larger results belong in storage of their own, with a
   * reference in the output.
   */
  int MAX_OUTPUT_BYTES = 1 << 16;

  /**
   * Returns the job being run.
   *
   * @return the job, as claimed
   */
  Job job();

  /**
   * Returns the 1-based number of this attempt.
   *
   * @return the attempt number
   */
  int attempt();

  /**
   * Returns the id of the worker running the job (its lease owner).
   *
   * @return the worker id
   */
  String workerId();

  /**
   * Tells whether the handler should stop: set on shutdown (after the shutdown timeout), when the
   * job is cancelled, when it times out, and when its lease was lost. The handler's thread is also
   * interrupted in every one of those cases, so blocking calls return early.
   *
   * @return {@code true} once cancelled
   */
  boolean isCancelled();

  /**
   * Returns why the context was cancelled.
   *
   * @return the reason, or empty while not cancelled
   */
  Optional<CancellationReason> cancellationReason();

  /**
   * Waits until the context is cancelled or the timeout passes. Handlers that wait on something can
   * use this in place of a sleep.
   *
   * @param timeout how long to wait at most
   * @return {@code true} if cancelled, {@code false} if the timeout passed first
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  boolean awaitCancellation(Duration timeout) throws InterruptedException;

  /**
   * Tells the processor the handler is alive. When the processor has a heartbeat timeout, a job
   * whose handler stays silent longer than it loses its lease and is run again elsewhere. Cheap: it
   * records a timestamp.
   */
  void heartbeat();

  /**
   * Appends an event to the job's session ({@code session_events}), for example {@code thinking},
   * {@code terminal}, {@code file_change}, {@code completion} or {@code error}. The data is
   * serialized to JSON now, with the queue's {@code ObjectMapper} ({@link
   * JobQueue.Builder#objectMapper}; by default {@code java.time} values become ISO-8601 strings),
   * and written in a batch shortly after; the call never waits for the database. Also counts as a
   * {@link #heartbeat()}.
   *
   * <p>Rules for the data:
   *
   * <ul>
   *   <li>NUL characters (U+0000) in strings and field names are replaced by U+FFFD, the
   *       replacement character, because PostgreSQL's {@code jsonb} cannot store them. Terminal
   *       output of a binary file is the usual source; everything else in the output is kept.
   *   <li>The JSON may be at most {@link #MAX_EVENT_DATA_BYTES} bytes (1 MiB) in UTF-8; larger data
   *       is refused with an {@link IllegalArgumentException} that names the limit and the size,
   *       and nothing is written.
   * </ul>
   *
   * <p>An event may still be lost after this returns: when the buffer is full (a database outage)
   * it is dropped and counted ({@link JobProcessor#droppedEvents()}), and when the database refuses
   * the row itself (for example its session was deleted meanwhile) it is dropped, logged with the
   * job id and type, and counted ({@link JobProcessor#rejectedEvents()}); the other events are
   * written.
   *
   * @param type the event type; not blank, at most 64 characters, no NUL
   * @param data a value the queue's mapper can serialize to a JSON object (a map or a record), or
   *     null for {@code {}}
   * @throws IllegalArgumentException if the type is blank, too long or holds NUL, or the data is
   *     not a JSON object, cannot be serialized, or is larger than {@link #MAX_EVENT_DATA_BYTES}
   * @throws IllegalStateException if the job belongs to no session (a kind other than {@link
   *     NewJob#CODING_SESSION_KIND})
   */
  void emitEvent(String type, @Nullable Object data);

  /**
   * Records the job's output: a small JSON result stored in the job's row when this attempt
   * succeeds, and read back with {@link Job#outputJson()} or {@link Job#output(Class)}. The value
   * is serialized to JSON now, with the queue's {@code ObjectMapper} ({@link
   * JobQueue.Builder#objectMapper}; by default {@code java.time} values become ISO-8601 strings),
   * under the NUL rule of {@link #emitEvent} (U+0000 becomes U+FFFD), so a later change to the
   * object does not change the output. The last call wins; {@code null} takes back what an earlier
   * call recorded.
   *
   * <p>The output is written in the same statement that completes the job, so a completed job
   * always has the output its handler recorded. It is discarded when the attempt does not succeed
   * (a failure, a timeout, a snooze, a lost lease): the next attempt records its own.
   *
   * @param value any value the queue's mapper can serialize (an object, array, string, number or
   *     boolean), or {@code null} for no output
   * @throws IllegalArgumentException if the value cannot be serialized or its JSON is larger than
   *     {@link #MAX_OUTPUT_BYTES}, naming the size and the limit; the output recorded before stays
   */
  void recordOutput(@Nullable Object value);

  /**
   * The time this attempt may still run before the processor's job timeout cancels it.
   *
   * @return the time left, or empty when the processor has no job timeout
   */
  Optional<Duration> timeLeft();
}
