package dev.mobvibe.queue.realtime;

/**
 * The status of a {@link RealtimeChannel}, as reported to its status listeners. The last four are
 * the subscribe statuses of the official Supabase client; {@link #JOINING} covers the time before
 * the server confirms the subscription.
 */
public enum ChannelStatus {
  /**
   * The join was sent, or will be once the socket is open, and the server has not yet confirmed
   * that changes flow ("Subscribed to PostgreSQL").
   */
  JOINING,
  /**
   * The server confirmed the subscription with its {@code system} "Subscribed to PostgreSQL"
   * message: changes committed from now on are delivered. (The official client reports this at the
   * join reply, earlier, and can miss the changes in between.)
   */
  SUBSCRIBED,
  /**
   * The join was refused, the channel or the socket failed, or the server reported a subscription
   * error after the join. The detail carries the server's text. The client rejoins with backoff,
   * except after a {@code system} error that leaves the channel joined (the server does not deliver
   * changes then, and says so).
   */
  CHANNEL_ERROR,
  /**
   * The server did not answer the join within the join timeout; the client rejoins with backoff.
   */
  TIMED_OUT,
  /** Left by the application, closed by the server, or the client was closed. Final. */
  CLOSED
}
