package dev.mobvibe.queue.examples;

import dev.mobvibe.queue.MigrationReport;
import dev.mobvibe.queue.MigrationScript;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The {@code migrate} command: applies the schema migrations and says what it did, or with {@code
 * --print-sql} prints them for a migration tool and applies nothing.
 */
@Command(
    name = "migrate",
    mixinStandardHelpOptions = true,
    description =
        "Applies the queue's schema migrations to DATABASE_URL (else PostgreSQL on"
            + " 127.0.0.1:5432; additive, under an advisory lock, safe to repeat) and reports"
            + " what it applied. With --print-sql it prints the migrations instead, for Flyway,"
            + " Liquibase or psql, and connects to nothing.")
final class MigrateCommand implements Callable<Integer> {

  @Mixin Cli.DatabaseOptions database = new Cli.DatabaseOptions();

  @Option(
      names = "--print-sql",
      description =
          "print every migration's SQL for the schema (QUEUE_SCHEMA or --schema) to standard"
              + " output, oldest first, and apply nothing")
  boolean printSql;

  private final Cli cli;

  MigrateCommand(Cli cli) {
    this.cli = cli;
  }

  @Override
  public Integer call() {
    if (printSql) {
      printSql(cli.settings(database.flags()).schema());
      return 0;
    }
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

  private void printSql(String schema) {
    for (MigrationScript script : MigrationScript.all(schema)) {
      cli.out().println("-- version " + script.version() + ": " + script.description());
      if (!script.onlineStatements().isEmpty()) {
        cli.out()
            .println(
                "-- Part 1 of 2: run each statement alone, outside any transaction"
                    + " (CREATE INDEX CONCURRENTLY cannot run inside one).");
        for (String statement : script.onlineStatements()) {
          cli.out().println(statement + ";");
        }
        cli.out().println("-- Part 2 of 2: run in one transaction.");
      }
      cli.out().println(script.sql());
    }
    cli.out().flush();
  }
}
