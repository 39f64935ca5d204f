package dev.mobvibe.queue.spring.example;

import dev.mobvibe.queue.JobArgs;

/** The arguments of a {@code welcome_email} job. */
public record WelcomeEmail(String to) implements JobArgs {
  /** The kind of these jobs. */
  public static final String KIND = "welcome_email";

  @Override
  public String kind() {
    return KIND;
  }
}
