package dev.mobvibe.queue.spring.example;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * The Spring Boot example: sign-ups over HTTP ({@link SignupController}) that enqueue a welcome
 * e-mail in the same transaction as the sign-up row ({@link SignupService}), and the handler bean
 * that sends it ({@link WelcomeEmailHandler}). The starter does the rest: the queue on the
 * application's {@code DataSource}, migrations, the processor, health and metrics.
 */
@SpringBootApplication
public class ExampleApplication {

  /**
   * Runs the example.
   *
   * @param args Spring Boot's arguments
   */
  public static void main(String[] args) {
    SpringApplication.run(ExampleApplication.class, args);
  }
}
