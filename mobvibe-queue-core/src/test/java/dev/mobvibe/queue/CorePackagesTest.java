package dev.mobvibe.queue;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

import com.tngtech.archunit.core.domain.JavaClasses;
import dev.mobvibe.queue.internal.engine.Engine;
import dev.mobvibe.queue.internal.engine.EngineSettings;
import dev.mobvibe.queue.internal.engine.HandlerThreads;
import dev.mobvibe.queue.internal.engine.Housekeeping;
import dev.mobvibe.queue.internal.engine.KindRoute;
import dev.mobvibe.queue.testing.ArchitectureRules;
import org.junit.jupiter.api.Test;

/**
 * Core's own layout: the public package holds API and SPI types only (every top-level type there is
 * public; machinery lives in {@code internal}), and the engine's parts stay package-private in
 * {@code internal.engine}, reached only through its wiring.
 */
class CorePackagesTest {
  private static final JavaClasses CORE = ArchitectureRules.mainClassesOf(JobQueue.class);

  @Test
  void thePublicPackageHoldsOnlyPublicTypes() {
    classes()
        .that()
        .resideInAPackage("dev.mobvibe.queue")
        .and()
        .areTopLevelClasses()
        .and()
        .doNotHaveSimpleName("package-info") // the package's annotations, never public
        .should()
        .bePublic()
        .because("a type in the API package is there because users need it")
        .check(CORE);
  }

  @Test
  void theEnginesPartsArePackagePrivate() {
    classes()
        .that()
        .resideInAPackage("dev.mobvibe.queue.internal.engine")
        .and()
        .areTopLevelClasses()
        .and()
        .doNotBelongToAnyOf(
            Engine.class,
            EngineSettings.class,
            HandlerThreads.class,
            KindRoute.class,
            Housekeeping.class)
        .should()
        .notBePublic()
        .because(
            "only the wiring, its settings, the routes of kinds, the thread factories and the"
                + " housekeeping (schedules, retention) are for JobProcessor")
        .check(CORE);
  }
}
