package dev.mobvibe.queue.examples;

import dev.mobvibe.queue.ArgsHandler;
import dev.mobvibe.queue.JobContext;
import dev.mobvibe.queue.PermanentJobFailureException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The handler of {@link SendEmail}: a simulated send that takes a set time and fails a share of
 * attempts, as a mail provider's outage would. An email without a recipient can never be sent and
 * goes to the dead letter at once. It waits with {@link JobContext#awaitCancellation}, so shutdown,
 * cancel and timeout stop it at once. Thread-safe.
 */
final class SimulatedEmailSender implements ArgsHandler<SendEmail> {
  private static final Logger log = LoggerFactory.getLogger(SimulatedEmailSender.class);

  private final Duration sendTime;
  private final double failRate;

  /**
   * Creates the handler.
   *
   * @param sendTime how long one send takes; zero or positive
   * @param failRate the share of attempts that fail, 0 to 1
   */
  SimulatedEmailSender(Duration sendTime, double failRate) {
    Objects.requireNonNull(sendTime, "sendTime must not be null");
    if (sendTime.isNegative()) {
      throw new IllegalArgumentException("sendTime must not be negative, was " + sendTime);
    }
    if (!(failRate >= 0 && failRate <= 1)) {
      throw new IllegalArgumentException("failRate must be between 0 and 1, was " + failRate);
    }
    this.sendTime = sendTime;
    this.failRate = failRate;
  }

  @Override
  public void handle(SendEmail email, JobContext ctx) throws Exception {
    if (email.to() == null || email.to().isBlank()) {
      throw new PermanentJobFailureException("the email has no recipient (\"to\")");
    }
    log.info(
        "sending email attempt {}/{} to {}: {}",
        ctx.attempt(),
        ctx.job().maxAttempts(),
        email.to(),
        email.subject() == null ? "(no subject)" : Cli.excerpt(email.subject(), 80));
    if (ctx.awaitCancellation(sendTime)) {
      throw new CancellationException(
          "stopped: " + ctx.cancellationReason().map(Enum::name).orElse("cancelled"));
    }
    if (failRate > 0 && ThreadLocalRandom.current().nextDouble() < failRate) {
      throw new IllegalStateException(
          "simulated failure in attempt " + ctx.attempt() + ": the mail provider did not answer");
    }
    log.info("email sent to {}", email.to());
  }

  @Override
  public String toString() {
    return "SimulatedEmailSender[sendTime="
        + sendTime.toMillis()
        + "ms, failRate="
        + failRate
        + "]";
  }
}
