package dev.mobvibe.queue.spring;

import dev.mobvibe.queue.testing.ArchitectureRules;
import org.junit.jupiter.api.Test;

/** This module's main code keeps to core's public API. */
class ArchitectureTest {

  @Test
  void mainCodeKeepsToCoresPublicApi() {
    ArchitectureRules.checkModule(MobVibeQueueAutoConfiguration.class);
  }
}
