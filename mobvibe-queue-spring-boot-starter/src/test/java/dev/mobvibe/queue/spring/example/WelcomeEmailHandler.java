package dev.mobvibe.queue.spring.example;

import dev.mobvibe.queue.ArgsHandler;
import dev.mobvibe.queue.JobContext;
import dev.mobvibe.queue.spring.JobKind;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.stereotype.Component;

/**
 * Sends the welcome e-mail of a {@code welcome_email} job. Shown in README.md and
 * docs/SPRING-BOOT.md from {@code @Component} on: keep them identical.
 */
@Component
@JobKind(WelcomeEmail.KIND)
class WelcomeEmailHandler implements ArgsHandler<WelcomeEmail> {
  final List<String> sent = new CopyOnWriteArrayList<>();

  @Override
  public void handle(WelcomeEmail email, JobContext context) {
    sent.add(email.to()); // a real handler calls the mailer here; a throw means retry
  }
}
