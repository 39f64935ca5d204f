package dev.mobvibe.queue.examples;

import dev.mobvibe.queue.MigrationReport;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** The {@code migrate} command: applies the schema migrations and says what it did. */
@Command(
    name = "migrate",
    mixinStandardHelpOptions = true,
    description =
        "Applies the queue's schema migrations to DATABASE_URL (else PostgreSQL on"
            + " 127.0.0.1:5432; additive, under an advisory lock, safe to repeat) and reports"
            + " what it applied.")
final class MigrateCommand implements Callable<Integer> {

  @Mixin Cli.DatabaseOptions database = new Cli.DatabaseOptions();

  private final Cli cli;

  MigrateCommand(Cli cli) {
    this.cli = cli;
  }

  @Override
  public Integer call() {
    try (Cli.Opened opened = cli.openQueue(database)) {
      cli.out().println("database: " + opened.db().description());
      MigrationReport report = opened.queue().migrate();
      if (report.applied().isEmpty()) {
        cli.out()
            .println(
                "schema "
                    + report.schema()
                    + " is up to date at version "
                    + report.toVersion()
                    + "; nothing applied");
      } else {
        for (int version : report.applied()) {
          cli.out().println("applied migration V" + version + " to schema " + report.schema());
        }
        cli.out()
            .println(
                "schema "
                    + report.schema()
                    + ": version "
                    + report.fromVersion()
                    + " -> "
                    + report.toVersion());
      }
    }
    cli.out().flush();
    return 0;
  }
}
