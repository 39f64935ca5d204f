package dev.mobvibe.queue.spring.example;

import dev.mobvibe.queue.ArgsHandler;
import dev.mobvibe.queue.JobContext;
import dev.mobvibe.queue.spring.JobKind;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.stereotype.Component;

// README snippet: handler
@Component
@JobKind(WelcomeEmail.KIND)
class WelcomeEmailHandler implements ArgsHandler<WelcomeEmail> {
  final List<String> sent = new CopyOnWriteArrayList<>();

  @Override
  public void handle(WelcomeEmail email, JobContext context) {
    sent.add(email.to()); // a real handler calls the mailer here; a throw means retry
  }
}
// end of README snippet
