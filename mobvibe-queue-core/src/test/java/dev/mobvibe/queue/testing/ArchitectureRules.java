package dev.mobvibe.queue.testing;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import java.net.URL;
import java.security.CodeSource;

/**
 * The module-boundary rules of this project, kept in one place so that every module other than core
 * checks the same rules with one test:
 *
 * <pre>{@code
 * class ArchitectureTest {
 *   @Test
 *   void mainCodeKeepsToCoresPublicApi() {
 *     ArchitectureRules.checkModule(SomeMainClassOfThisModule.class);
 *   }
 * }
 * }</pre>
 *
 * <p>The module's main classes are read from where the given class was loaded (the module's
 * compiled classes, a directory or a jar), so neither its tests nor the other modules on the test
 * class path are checked, whatever the reactor resolves them to. A module that needs this adds a
 * test-scoped dependency on {@code com.tngtech.archunit:archunit} next to core's test jar.
 *
 * <p>ArchUnit reads byte code: a compile-time constant of an internal class is copied into the
 * caller by the compiler and leaves no trace there, so it escapes the rule.
 */
public final class ArchitectureRules {

  /** Core's internal package; its sub-packages are internal too. */
  public static final String CORE_INTERNAL_PACKAGE = "dev.mobvibe.queue.internal";

  /**
   * No class may depend on anything in {@value #CORE_INTERNAL_PACKAGE} or its sub-packages. A
   * module's own {@code internal} package (such as {@code dev.mobvibe.queue.realtime.internal}) is
   * not core's, and stays allowed.
   */
  public static final ArchRule NO_CORE_INTERNALS =
      noClasses()
          .should()
          .dependOnClassesThat()
          .resideInAPackage(CORE_INTERNAL_PACKAGE + "..")
          .because(
              "other modules use core only through its public API; its internal package may"
                  + " change without notice");

  private ArchitectureRules() {}

  /**
   * Checks every rule of this class against the main classes of the module that holds {@code
   * anyMainClass}.
   *
   * @param anyMainClass a main (not test) class of the module under test
   * @throws AssertionError listing each violation, or when no class could be read
   * @throws IllegalArgumentException if the class has no code source (a JDK class)
   */
  public static void checkModule(Class<?> anyMainClass) {
    NO_CORE_INTERNALS.check(mainClassesOf(anyMainClass));
  }

  /**
   * Reads the classes found where {@code anyMainClass} was loaded from: the module's compiled main
   * classes.
   *
   * @param anyMainClass a main (not test) class of the module under test
   * @return those classes, among them {@code anyMainClass}
   * @throws IllegalArgumentException if the class has no code source (a JDK class)
   */
  public static JavaClasses mainClassesOf(Class<?> anyMainClass) {
    CodeSource source = anyMainClass.getProtectionDomain().getCodeSource();
    URL location = source == null ? null : source.getLocation();
    if (location == null) {
      throw new IllegalArgumentException(
          anyMainClass.getName() + " has no code source; pass a class of the module under test");
    }
    JavaClasses classes = new ClassFileImporter().importUrl(location);
    if (!classes.contain(anyMainClass)) {
      throw new AssertionError(
          "reading " + location + " did not find " + anyMainClass.getName() + " itself");
    }
    return classes;
  }
}
