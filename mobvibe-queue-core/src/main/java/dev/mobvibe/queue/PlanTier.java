package dev.mobvibe.queue;

/**
 * MobVibe's plans and the job priority each one gets: Pro 10, Starter 5, Free 0. Higher priority
 * runs first; within one priority, older jobs run first.
 */
public enum PlanTier {
  /** The free plan: priority 0. */
  FREE(0),
  /** The Starter plan: priority 5. */
  STARTER(5),
  /** The Pro plan: priority 10. */
  PRO(10);

  private final int priority;

  PlanTier(int priority) {
    this.priority = priority;
  }

  /**
   * Returns the job priority of this plan.
   *
   * @return 0, 5 or 10
   */
  public int priority() {
    return priority;
  }

  /**
   * Returns the plan a priority belongs to: 10 and above is Pro, 5 to 9 Starter, below 5 Free.
   *
   * @param priority a job priority
   * @return the plan tier
   */
  public static PlanTier ofPriority(int priority) {
    if (priority >= PRO.priority) {
      return PRO;
    }
    return priority >= STARTER.priority ? STARTER : FREE;
  }
}
