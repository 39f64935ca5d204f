package dev.mobvibe.queue.spring.example;

import dev.mobvibe.queue.Job;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** {@code POST /signups?email=...}: 202 with the welcome job's id, 400 for a bad address. */
@RestController
class SignupController {
  private final SignupService signups;

  SignupController(SignupService signups) {
    this.signups = signups;
  }

  @PostMapping("/signups")
  ResponseEntity<Map<String, String>> signUp(@RequestParam("email") String email) {
    Job job = signups.signUp(email);
    return ResponseEntity.status(HttpStatus.ACCEPTED).body(Map.of("jobId", job.id().toString()));
  }

  @ExceptionHandler(IllegalArgumentException.class)
  ResponseEntity<Map<String, String>> refused(IllegalArgumentException e) {
    return ResponseEntity.badRequest().body(Map.of("error", e.getMessage()));
  }
}
