package dev.mobvibe.queue;

/**
 * Runs one job of a kind with its arguments decoded: the typed form of {@link JobHandler},
 * registered with {@link JobProcessorBuilder#handler(String, Class, ArgsHandler)}.
 *
 * <p>The outcomes are those of {@link JobHandler}: returning is success, throwing is a failed
 * attempt (retried after the backoff while attempts remain), {@link PermanentJobFailureException}
 * goes to the dead letter at once, and {@link SnoozeJobException} runs the job again later without
 * spending an attempt. Arguments that cannot be decoded into the registered type are a permanent
 * failure: the job goes to the dead letter with the decoding error, since running it again would
 * not change them. Called from several threads at once: must be thread-safe.
 *
 * @param <A> the type the job's arguments are decoded into
 */
@FunctionalInterface
public interface ArgsHandler<A> {

  /**
   * Runs the job.
   *
   * @param args the job's arguments, decoded with the queue's {@code ObjectMapper}
   * @param context the attempt's context; {@link JobContext#job()} is the job row
   * @throws Exception any failure; see the class description for what follows
   */
  void handle(A args, JobContext context) throws Exception;
}
