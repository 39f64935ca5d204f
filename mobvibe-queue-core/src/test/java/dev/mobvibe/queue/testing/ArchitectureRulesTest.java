package dev.mobvibe.queue.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.core.domain.JavaClasses;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.internal.PollingNotifier;
import org.junit.jupiter.api.Test;

/**
 * The shared rules catch what they are for. The passing case runs in every other module ({@code
 * ArchitectureTest}); here, core's own main code is the module that breaks the rule, since it
 * legitimately uses its internal package.
 */
class ArchitectureRulesTest {

  @Test
  void theRuleReportsADependencyOnCoreInternals() {
    assertThatThrownBy(() -> ArchitectureRules.checkModule(JobQueue.class))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("dev.mobvibe.queue.JobQueue")
        .hasMessageContaining(ArchitectureRules.CORE_INTERNAL_PACKAGE);
  }

  @Test
  void onlyTheModulesMainClassesAreRead() {
    JavaClasses classes = ArchitectureRules.mainClassesOf(JobQueue.class);

    assertThat(classes.contain(JobQueue.class)).isTrue();
    assertThat(classes.contain(PollingNotifier.class)).isTrue();
    assertThat(classes.contain(ArchitectureRulesTest.class)).as("a test class").isFalse();
    assertThat(classes.contain(TestDatabase.class)).as("the test jar").isFalse();
  }

  @Test
  void aClassWithoutCodeSourceIsRefused() {
    assertThatThrownBy(() -> ArchitectureRules.mainClassesOf(String.class))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("java.lang.String");
  }
}
