package dev.mobvibe.queue.internal.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mobvibe.queue.JobListener;
import dev.mobvibe.queue.JobNotifier;
import dev.mobvibe.queue.JobProcessor;
import dev.mobvibe.queue.KindOptions;
import dev.mobvibe.queue.Subscription;
import dev.mobvibe.queue.internal.JobStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The parts of a worker, wired: a {@link Producer} claims into the {@link HandlerSlots}, which run
 * jobs and hand outcomes to the {@link Completer}; a {@link LeaseKeeper} renews leases, a {@link
 * TimeoutWatcher} ends attempts that run too long, an {@link EventWriter} writes session events.
 * Each part gets what it needs and never this class. Internal API: {@link JobProcessor} owns the
 * lifecycle and calls {@link #start} once and {@link #stop} once.
 */
public final class Engine {
  private static final Logger log = LoggerFactory.getLogger(Engine.class);

  private final EngineSettings settings;
  private final JobStore store;
  private final Slots slots;
  private final Producer producer;
  private final Completer completer;
  private final EventWriter events;
  private final LeaseKeeper leaseKeeper;
  private final TimeoutWatcher timeouts;
  private final HandlerSlots handlers;
  private Thread producerThread;
  private Subscription subscription;

  /**
   * Wires the parts; nothing runs until {@link #start}.
   *
   * @param settings the checked settings
   * @param store where every statement runs
   * @param json serializes session event data (the queue's mapper)
   * @param routes the handler and overrides of each kind in {@link EngineSettings#kinds()}
   * @param listeners told of what happens to each job
   * @throws IllegalArgumentException if the routes are not those of the settings' kinds
   */
  public Engine(
      EngineSettings settings,
      JobStore store,
      ObjectMapper json,
      Map<String, KindRoute> routes,
      List<JobListener> listeners) {
    this(settings, store, json, routes, listeners, Ticker.SYSTEM);
  }

  Engine(
      EngineSettings settings,
      JobStore store,
      ObjectMapper json,
      Map<String, KindRoute> routes,
      List<JobListener> listeners,
      Ticker ticker) {
    if (!routes.keySet().equals(Set.copyOf(settings.kinds()))) {
      throw new IllegalArgumentException(
          "routes " + routes.keySet() + " are not those of the kinds " + settings.kinds());
    }
    this.settings = settings;
    Listeners fanout = new Listeners(listeners);
    this.slots = new Slots(settings.concurrency() + settings.prefetch());
    this.events = new EventWriter(store, settings.eventBufferCapacity(), settings.workerId(), json);
    // The completer tells the producer when a retried job falls due; the producer is built after
    // it, so the hand-off goes through a field read when a retry happens, never earlier.
    this.completer = new Completer(settings, store, fanout, delay -> wakeProducerAfter(delay));
    this.timeouts = new TimeoutWatcher(settings, slots, completer, fanout, ticker);
    this.handlers =
        new HandlerSlots(
            settings, Map.copyOf(routes), slots, completer, timeouts, events, fanout, ticker);
    this.producer =
        new Producer(
            settings,
            flowRules(settings, routes),
            store,
            slots,
            fanout,
            ticker,
            handlers,
            this::stillMine);
    this.store = store;
    this.leaseKeeper = new LeaseKeeper(settings, store, slots, fanout, ticker);
    slots.onFreed(producer::slotFreed);
  }

  /** The limits of every kind and the fairness bound, as the claim takes them. */
  static JobStore.FlowRules flowRules(EngineSettings settings, Map<String, KindRoute> routes) {
    List<JobStore.FlowRules.Limit> limits = new ArrayList<>();
    List<JobStore.FlowRules.Rate> rates = new ArrayList<>();
    for (String kind : settings.kinds()) {
      KindOptions options = routes.get(kind).options();
      if (options.maxRunning() > 0) {
        limits.add(new JobStore.FlowRules.Limit(kind, null, options.maxRunning()));
      }
      options
          .maxRunningByKeyPrefix()
          .forEach((prefix, most) -> limits.add(new JobStore.FlowRules.Limit(kind, prefix, most)));
      if (options.rateLimit() != null) {
        rates.add(
            new JobStore.FlowRules.Rate(
                kind, options.rateLimit().starts(), options.rateLimit().per()));
      }
    }
    return new JobStore.FlowRules(limits, rates, settings.fairness());
  }

  private void wakeProducerAfter(Duration delay) {
    producer.wakeAfter(delay);
  }

  /**
   * Subscribes to the notifier, then starts every thread. If the subscription fails nothing has
   * started.
   *
   * @param notifier wakes the producer early, or {@code null} to poll only
   */
  public void start(JobNotifier notifier) {
    if (notifier != null) {
      subscription = notifier.subscribe(signal -> producer.signal());
    }
    handlers.start();
    completer.start();
    events.start();
    timeouts.start();
    leaseKeeper.start();
    producerThread = new Thread(producer, "mobvibe-producer-" + settings.workerId());
    producerThread.setDaemon(true);
    producerThread.start();
  }

  /**
   * Stops in data-flow order: stop claiming, let running jobs finish within the shutdown timeout,
   * cancel and interrupt the rest and give back those that never started, flush outcomes and
   * events, stop the lease keeper last.
   */
  public void stop() {
    long deadline = System.nanoTime() + settings.shutdownTimeout().toNanos();
    if (subscription != null) {
      subscription.unsubscribe();
    }
    handlers.stopAccepting();
    producer.stop();
    join(producerThread, remainingMillis(deadline));
    // A claim that outlived the wait may still return jobs, after the completer has stopped.
    boolean claimOutlivedStop = producerThread.isAlive();
    if (!handlers.finish(remainingMillis(deadline))) {
      log.warn(
          "worker {}: {} jobs still running after the {} ms shutdown timeout; cancelling them",
          settings.workerId(),
          slots.heldCount(),
          settings.shutdownTimeout().toMillis());
      handlers.cancelAll();
      if (!handlers.await(5_000)) {
        log.warn(
            "worker {}: {} handlers ignored interruption; their jobs return after the lease",
            settings.workerId(),
            slots.heldCount());
      }
    }
    timeouts.stop();
    completer.stopAndFlush(Math.max(5_000, remainingMillis(deadline)));
    // A claim still in flight when the producer was given up on may lease jobs after all: wait
    // for it (its statement ends within the socket timeout), then hand back whatever is leased to
    // this worker and neither held by a handler nor waiting in the completer.
    join(producerThread, Math.max(1_000, remainingMillis(deadline)));
    if (claimOutlivedStop || producer.sweepDue()) {
      sweepStranded(Math.max(1_000, remainingMillis(deadline)));
    }
    events.stopAndFlush(5_000);
    leaseKeeper.stop();
  }

  /** The jobs this worker is still responsible for: held, or with an outcome not yet written. */
  private Collection<UUID> stillMine() {
    Set<UUID> mine = new HashSet<>(completer.unrecorded());
    for (RunningJob rj : slots.held()) {
      mine.add(rj.job.id());
    }
    return mine;
  }

  /**
   * Hands back what a claim left behind, on a thread of its own so that a database that does not
   * answer delays the stop by {@code millis} at most.
   */
  private void sweepStranded(long millis) {
    Thread sweeper =
        new Thread(
            () -> {
              try {
                Set<UUID> released = store.releaseStranded(settings.workerId(), stillMine());
                if (!released.isEmpty()) {
                  log.info(
                      "worker {}: handed back {} claimed jobs that never started",
                      settings.workerId(),
                      released.size());
                }
              } catch (RuntimeException e) {
                log.warn(
                    "worker {}: cannot hand back claimed jobs that never started; they return"
                        + " after their lease: {}",
                    settings.workerId(),
                    e.getMessage());
              }
            },
            "mobvibe-sweep-" + settings.workerId());
    sweeper.setDaemon(true);
    sweeper.start();
    join(sweeper, millis);
  }

  /**
   * Returns how many jobs are held: running, or claimed and waiting for a slot.
   *
   * @return the count
   */
  public int heldJobs() {
    return slots.heldCount();
  }

  /**
   * Returns when the last claim statement succeeded.
   *
   * @return the time, or {@code null} before the first
   */
  public Instant lastSuccessfulClaim() {
    return producer.lastSuccessfulClaim();
  }

  /**
   * Returns how many session events were dropped because the buffer was full.
   *
   * @return the count
   */
  public long droppedEvents() {
    return events.dropped();
  }

  /**
   * Returns how many session events were dropped because the database refused them for their data.
   *
   * @return the count
   */
  public long rejectedEvents() {
    return events.rejected();
  }

  /**
   * Waits before a write that failed is tried again: on the error path only, while the database is
   * failing.
   *
   * @return false if the thread was interrupted (the flag is set again)
   */
  static boolean pauseAfterError(long millis) {
    try {
      Thread.sleep(millis);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** A daemon single-thread scheduler whose cancelled tasks leave its queue at once. */
  static ScheduledExecutorService singleThread(String name) {
    ScheduledThreadPoolExecutor s =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, name);
              t.setDaemon(true);
              return t;
            });
    s.setRemoveOnCancelPolicy(true);
    return s;
  }

  private static long remainingMillis(long deadlineNanos) {
    return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
  }

  private static void join(Thread t, long millis) {
    try {
      t.join(Math.max(1, millis));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
