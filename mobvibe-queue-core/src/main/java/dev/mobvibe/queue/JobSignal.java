package dev.mobvibe.queue;

import java.util.Objects;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A hint that new jobs may be waiting. A signal only wakes a claimer; it promises nothing, and a
 * claimer must still claim from the database.
 *
 * @param source why the signal was sent
 * @param jobId the inserted job when the notification named one, else {@code null}
 * @param sessionId the inserted job's session when known, else {@code null}
 * @param priority the inserted job's priority when known, else {@code null}
 */
public record JobSignal(
    Source source, @Nullable UUID jobId, @Nullable UUID sessionId, @Nullable Integer priority) {

  /** Why a signal was sent. */
  public enum Source {
    /** A database notification about an inserted job. */
    NOTIFICATION,
    /** A poll tick. */
    POLL,
    /**
     * The notifier (re)connected: jobs inserted while it was away are not announced, so look now.
     */
    RECONNECT
  }

  /**
   * Checks that the source is present.
   *
   * @param source see {@link #source()}
   * @param jobId see {@link #jobId()}
   * @param sessionId see {@link #sessionId()}
   * @param priority see {@link #priority()}
   */
  public JobSignal {
    Objects.requireNonNull(source, "source");
  }

  /**
   * A signal that names no job.
   *
   * @param source why the signal was sent
   * @return the signal
   */
  public static JobSignal of(Source source) {
    return new JobSignal(source, null, null, null);
  }
}
