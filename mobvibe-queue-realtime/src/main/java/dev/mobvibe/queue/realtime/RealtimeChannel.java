package dev.mobvibe.queue.realtime;

import dev.mobvibe.queue.realtime.internal.ChannelMachine;
import dev.mobvibe.queue.realtime.internal.RealtimeConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A joined Supabase Realtime channel ({@code realtime:<name>}) with its {@code postgres_changes}
 * subscriptions. Create one with {@link RealtimeClient#channel(String)}.
 *
 * <p>The channel rejoins by itself after errors and reconnects; its status listeners hear every
 * change of {@link ChannelStatus}. Thread-safe; callbacks run on the client's thread.
 */
public final class RealtimeChannel implements AutoCloseable {

  /** Receives a channel's status changes. Must return quickly. */
  @FunctionalInterface
  public interface StatusListener {
    /**
     * Called on every status change, and again on each failed retry.
     *
     * @param status the new status
     * @param detail the server's text for errors, a short reason otherwise; may be null
     */
    void onStatus(ChannelStatus status, String detail);
  }

  private final ChannelMachine machine;

  private RealtimeChannel(ChannelMachine machine) {
    this.machine = machine;
  }

  /**
   * Returns the channel name, without the {@code realtime:} prefix.
   *
   * @return the name
   */
  public String name() {
    return machine.name();
  }

  /**
   * Returns the topic, {@code realtime:<name>}.
   *
   * @return the topic
   */
  public String topic() {
    return machine.topic();
  }

  /**
   * Returns the last status.
   *
   * @return the status
   */
  public ChannelStatus status() {
    return machine.status();
  }

  /**
   * Returns the detail of the last status: the server's text after an error.
   *
   * @return the detail, or null
   */
  public @Nullable String statusDetail() {
    return machine.statusDetail();
  }

  /**
   * Leaves the channel: sends {@code phx_leave} and reports {@link ChannelStatus#CLOSED} at once,
   * without waiting for the server. The socket stays open for other channels until the client
   * closes. Idempotent.
   */
  public void unsubscribe() {
    machine.leave("unsubscribed");
  }

  /** Same as {@link #unsubscribe()}. */
  @Override
  public void close() {
    unsubscribe();
  }

  @Override
  public String toString() {
    return "RealtimeChannel[" + topic() + ", " + status() + "]";
  }

  /**
   * The subscriptions and listeners of a channel; {@link #subscribe()} checks them and joins. Not
   * thread-safe.
   */
  public static final class Builder {
    private final RealtimeConnection connection;
    private final String name;
    private final List<ChannelMachine.Binding> bindings = new ArrayList<>();
    private final List<StatusListener> statusListeners = new ArrayList<>();
    private boolean rejoinAfterServerClose;

    Builder(RealtimeConnection connection, String name) {
      this.connection = connection;
      this.name = name;
    }

    /**
     * Adds a subscription: the callback receives every change that the filter selects. Identical
     * filters are sent to the server once.
     *
     * @param filter which changes
     * @param callback receives them on the client's thread; must return quickly
     * @return this builder
     * @throws NullPointerException if an argument is null
     */
    public Builder onPostgresChange(
        PostgresChangeFilter filter, Consumer<PostgresChange> callback) {
      bindings.add(new ChannelMachine.Binding(filter, callback));
      return this;
    }

    /**
     * Adds a status listener.
     *
     * @param listener the listener
     * @return this builder
     * @throws NullPointerException if the listener is null
     */
    public Builder onStatus(StatusListener listener) {
      statusListeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Whether a close by the server (for example after a token expired) is retried with the rejoin
     * schedule and reported as {@link ChannelStatus#CHANNEL_ERROR}, rather than final {@link
     * ChannelStatus#CLOSED}. Default {@code false}, as in the official client; refresh the token
     * with {@link RealtimeClient#setAuth(String)} when you turn it on.
     *
     * @param rejoin whether to rejoin
     * @return this builder
     */
    public Builder rejoinAfterServerClose(boolean rejoin) {
      this.rejoinAfterServerClose = rejoin;
      return this;
    }

    /**
     * Checks the channel and joins it; the status is {@link ChannelStatus#JOINING} until the server
     * confirms. Never blocks.
     *
     * @return the channel
     * @throws IllegalArgumentException if the name is blank or starts with {@code realtime:}, or no
     *     subscription was added
     * @throws IllegalStateException if the client is closed or a channel of that name is already
     *     subscribed on it
     */
    public RealtimeChannel subscribe() {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("channel name must not be blank, was '" + name + "'");
      }
      if (name.startsWith("realtime:")) {
        throw new IllegalArgumentException(
            "channel name is given without the realtime: prefix, was '" + name + "'");
      }
      if (bindings.isEmpty()) {
        throw new IllegalArgumentException(
            "channel " + name + " needs at least one onPostgresChange subscription");
      }
      ChannelMachine machine =
          new ChannelMachine(connection, name, bindings, statusListeners, rejoinAfterServerClose);
      connection.register(machine);
      return new RealtimeChannel(machine);
    }
  }
}
