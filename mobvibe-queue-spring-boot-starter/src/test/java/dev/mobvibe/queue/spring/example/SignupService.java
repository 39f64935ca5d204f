package dev.mobvibe.queue.spring.example;

import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.spring.JobEnqueuer;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Signs a user up and enqueues the welcome e-mail in the same transaction. Shown in README.md and
 * docs/SPRING-BOOT.md from {@code @Service} on: keep them identical.
 */
@Service
class SignupService {
  private final JdbcTemplate jdbc;
  private final JobEnqueuer enqueuer;

  SignupService(JdbcTemplate jdbc, JobEnqueuer enqueuer) {
    this.jdbc = jdbc;
    this.enqueuer = enqueuer;
  }

  /** The sign-up row and its welcome e-mail job commit together, or neither does. */
  @Transactional
  public Job signUp(String email) {
    jdbc.update("INSERT INTO signups (email) VALUES (?)", email);
    Job job = enqueuer.enqueue(NewJob.of(new WelcomeEmail(email)));
    if (email.endsWith(".invalid")) {
      throw new IllegalArgumentException("cannot deliver to " + email); // rolls both back
    }
    return job;
  }
}
