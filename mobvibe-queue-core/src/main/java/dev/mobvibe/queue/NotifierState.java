package dev.mobvibe.queue;

/** The connection state of a {@link JobNotifier}, as shown in logs and health checks. */
public enum NotifierState {
  /** Created, not started yet. */
  IDLE,
  /** Opening its connection or subscription for the first time. */
  CONNECTING,
  /** Receiving notifications (or, for the polling notifier, ticking). */
  LISTENING,
  /** Lost its connection and trying again with backoff; polling still guarantees progress. */
  RECONNECTING,
  /** Closed for good. */
  CLOSED
}
