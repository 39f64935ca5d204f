package dev.mobvibe.queue.examples;

import dev.mobvibe.queue.testing.ArchitectureRules;
import org.junit.jupiter.api.Test;

/**
 * This module's main code (the worker, the bench, the Micrometer binder) keeps to core's public
 * API.
 */
class ArchitectureTest {

  @Test
  void mainCodeKeepsToCoresPublicApi() {
    ArchitectureRules.checkModule(Main.class);
  }
}
