package dev.mobvibe.queue.realtime;

import dev.mobvibe.queue.testing.ArchitectureRules;
import org.junit.jupiter.api.Test;

/** This module's main code keeps to core's public API (its own internal package is its own). */
class ArchitectureTest {

  @Test
  void mainCodeKeepsToCoresPublicApi() {
    ArchitectureRules.checkModule(PgNotifier.class);
  }
}
