package dev.mobvibe.queue.internal;

import dev.mobvibe.queue.EnqueueInterceptor;
import dev.mobvibe.queue.Job;
import dev.mobvibe.queue.JobContext;
import dev.mobvibe.queue.JobHandler;
import dev.mobvibe.queue.JobInterceptor;
import dev.mobvibe.queue.NewJob;
import java.util.List;

/**
 * Chains of interceptors, built once (per processor, per queue) and run per attempt or enqueue.
 * Internal API.
 */
public final class Interceptors {
  private Interceptors() {}

  /**
   * Wraps a handler in job interceptors, the first outermost. Each attempt then allocates one step
   * per interceptor; with none, the handler itself is returned.
   *
   * @param handler the innermost handler
   * @param interceptors the interceptors, outermost first
   * @return a handler that runs the chain
   */
  public static JobHandler wrap(JobHandler handler, List<JobInterceptor> interceptors) {
    JobHandler chain = handler;
    for (int i = interceptors.size() - 1; i >= 0; i--) {
      chain = new InterceptedHandler(interceptors.get(i), chain);
    }
    return chain;
  }

  private record InterceptedHandler(JobInterceptor interceptor, JobHandler next)
      implements JobHandler {
    @Override
    public void handle(Job job, JobContext context) throws Exception {
      interceptor.intercept(job, context, new Execution(next, job, context));
    }
  }

  private static final class Execution implements JobInterceptor.Execution {
    private final JobHandler next;
    private final Job job;
    private final JobContext context;
    private boolean proceeded;

    Execution(JobHandler next, Job job, JobContext context) {
      this.next = next;
      this.job = job;
      this.context = context;
    }

    @Override
    public void proceed() throws Exception {
      if (proceeded) {
        throw new IllegalStateException("proceed() called twice for job " + job.id());
      }
      proceeded = true;
      next.handle(job, context);
    }
  }

  /**
   * Runs an enqueue through interceptors, the first outermost, checking at each step that the jobs
   * handed on and the jobs handed back match in number and hold no null.
   *
   * @param interceptors the interceptors, outermost first; not empty
   * @param jobs the caller's jobs, checked
   * @param insert the innermost step, which inserts
   * @return what the outermost interceptor returned
   */
  public static List<Job> enqueue(
      List<EnqueueInterceptor> interceptors, List<NewJob> jobs, EnqueueInterceptor.Enqueue insert) {
    return new EnqueueStep(interceptors, 0, insert).run(List.copyOf(jobs));
  }

  private static final class EnqueueStep implements EnqueueInterceptor.Enqueue {
    private final List<EnqueueInterceptor> interceptors;
    private final int index;
    private final EnqueueInterceptor.Enqueue insert;
    private int received;
    private boolean proceeded;

    EnqueueStep(
        List<EnqueueInterceptor> interceptors, int index, EnqueueInterceptor.Enqueue insert) {
      this.interceptors = interceptors;
      this.index = index;
      this.insert = insert;
    }

    /** Calls this step's interceptor and checks what it returns. */
    List<Job> run(List<NewJob> jobs) {
      received = jobs.size();
      List<Job> stored = interceptors.get(index).intercept(jobs, this);
      String wrong = mismatch(stored, received);
      if (wrong != null) {
        throw new IllegalStateException(
            name() + " must return " + received + " stored jobs, none null, but returned " + wrong);
      }
      return stored;
    }

    @Override
    public List<Job> proceed(List<NewJob> jobs) {
      if (proceeded) {
        throw new IllegalStateException(name() + " called proceed() twice");
      }
      proceeded = true;
      String wrong = mismatch(jobs, received);
      if (wrong != null) {
        throw new IllegalStateException(
            name() + " must hand on " + received + " jobs, none null, but handed on " + wrong);
      }
      List<NewJob> copy = List.copyOf(jobs);
      return index + 1 < interceptors.size()
          ? new EnqueueStep(interceptors, index + 1, insert).run(copy)
          : insert.proceed(copy);
    }

    /** What is wrong with a list that should hold {@code size} elements and no null, or null. */
    private static String mismatch(List<?> list, int size) {
      if (list == null) {
        return "null";
      }
      if (list.size() != size) {
        return String.valueOf(list.size());
      }
      // Not contains(null): immutable lists throw on it.
      int i = 0;
      for (Object element : list) {
        if (element == null) {
          return "null at index " + i;
        }
        i++;
      }
      return null;
    }

    private String name() {
      EnqueueInterceptor interceptor = interceptors.get(index);
      return "enqueue interceptor #" + (index + 1) + " (" + interceptor + ")";
    }
  }
}
