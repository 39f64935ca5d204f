package dev.mobvibe.queue.examples;

import dev.mobvibe.queue.JobArgs;

/**
 * The arguments of the reference worker's second kind, {@value #KIND}: an email a service sends
 * beside its coding sessions (a welcome, a "your session finished" notice). Such jobs belong to no
 * coding session. Enqueue one with {@code NewJob.of(new SendEmail(...))} or {@code enqueue --kind
 * send_email --args '{"to": ..., "subject": ..., "body": ...}'}.
 *
 * @param to the recipient's address
 * @param subject the subject line
 * @param body the text
 */
record SendEmail(String to, String subject, String body) implements JobArgs {

  /** The kind: {@code send_email}. */
  static final String KIND = "send_email";

  @Override
  public String kind() {
    return KIND;
  }
}
