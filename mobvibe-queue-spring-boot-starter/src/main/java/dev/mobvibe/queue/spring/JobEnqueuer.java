package dev.mobvibe.queue.spring;

import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobQueue;
import dev.mobvibe.queue.NewJob;
import dev.mobvibe.queue.QueueException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Enqueues jobs inside the caller's Spring-managed transaction when there is one: in a
 * {@code @Transactional} method, the job exists exactly when that transaction commits, and a
 * rollback leaves no job. Outside a transaction it enqueues as {@link JobQueue#enqueue(NewJob)}
 * does, in a transaction of its own.
 *
 * <p>It joins the transaction through {@link DataSourceUtils} on the queue's {@link
 * JobQueue#dataSource()} and hands the transaction's connection to the queue's {@code
 * enqueue(Connection, ...)} twin, which never commits, rolls back or closes it. So it joins the
 * transactions of a transaction manager on that same data source (Spring Boot's {@code
 * DataSourceTransactionManager}, JPA's {@code JpaTransactionManager}, {@code
 * JdbcTransactionManager}); a transaction of another data source is not joined, and the job is
 * committed on its own.
 *
 * <p>Calling {@link JobQueue#enqueue(NewJob)} directly inside a transaction does not join it: the
 * queue takes a connection of its own from the pool.
 *
 * <p>Thread-safe.
 */
public final class JobEnqueuer {
  private final JobQueue queue;
  private final DataSource dataSource;

  /**
   * Creates an enqueuer on the queue's data source.
   *
   * @param queue the queue
   * @throws NullPointerException if the queue is null
   */
  public JobEnqueuer(JobQueue queue) {
    this.queue = Objects.requireNonNull(queue, "queue must not be null");
    this.dataSource = queue.dataSource();
  }

  /**
   * Enqueues one job, inside the current transaction when there is one.
   *
   * @param job the job
   * @return the stored job (visible to others once the transaction commits)
   * @throws NullPointerException if the job is null
   * @throws QueueException if the database refuses
   */
  public Job enqueue(NewJob job) {
    Objects.requireNonNull(job, "job must not be null");
    return enqueueAll(List.of(job)).get(0);
  }

  /**
   * Enqueues many jobs in one statement, inside the current transaction when there is one: all or
   * none.
   *
   * @param jobs 1 to {@link JobQueue#MAX_BATCH_SIZE} jobs
   * @return the stored jobs, in the order given
   * @throws IllegalArgumentException if the list is empty, too long or holds null
   * @throws QueueException if the database refuses
   */
  public List<Job> enqueueAll(List<NewJob> jobs) {
    if (!TransactionSynchronizationManager.isActualTransactionActive()) {
      return queue.enqueueAll(jobs);
    }
    Connection connection = DataSourceUtils.getConnection(dataSource);
    try {
      if (connection.getAutoCommit()) {
        // A transaction of another resource: this data source is not part of it.
        return queue.enqueueAll(jobs);
      }
      return queue.enqueueAll(connection, jobs);
    } catch (SQLException e) {
      throw new QueueException("enqueue jobs: cannot read the transaction's connection", e);
    } finally {
      DataSourceUtils.releaseConnection(connection, dataSource);
    }
  }

  /**
   * Returns the queue this enqueuer writes to.
   *
   * @return the queue
   */
  public JobQueue queue() {
    return queue;
  }
}
