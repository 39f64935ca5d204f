package dev.mobvibe.queue;

/**
 * The arguments of a job of one kind: implement it with a record, enqueue it with {@link
 * NewJob#of(JobArgs)}, and handle it with {@link JobProcessorBuilder#handler(String, Class,
 * ArgsHandler)}.
 *
 * <pre>{@code
 * record SendEmail(String to, String subject) implements JobArgs {
 *   public String kind() { return "send_email"; }
 * }
 * }</pre>
 *
 * <p>The arguments are stored in the job's {@code args} column as a JSON object, written and read
 * with the queue's {@code ObjectMapper} ({@link JobQueue.Builder#objectMapper}; by default with the
 * {@code java.time} module, dates as ISO-8601 strings). Anything that mapper can write as a JSON
 * object and read back works: records, nested records, lists, maps, {@code java.time} values.
 * Implementations must be immutable: the arguments are serialized when the job is enqueued.
 */
public interface JobArgs {

  /**
   * Returns the kind of job these arguments are for: the key that routes the job to its handler.
   * The same for every instance of a type. 1 to {@value NewJob#MAX_KIND_LENGTH} characters of
   * letters, digits, {@code _ . : -}; {@value NewJob#CODING_SESSION_KIND} is taken by the prompt
   * jobs of {@link NewJob#of(String)}.
   *
   * @return the kind
   */
  String kind();
}
