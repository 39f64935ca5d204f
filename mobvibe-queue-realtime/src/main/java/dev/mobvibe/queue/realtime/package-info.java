/**
 * Push wake-ups for MobVibe Queue workers, and a general-purpose Supabase Realtime client.
 *
 * <ul>
 *   <li>{@link dev.mobvibe.queue.realtime.PgNotifier}: PostgreSQL {@code LISTEN new_job} on one
 *       dedicated connection, with reconnects, and {@code job_status_changed} as a typed stream.
 *   <li>{@link dev.mobvibe.queue.realtime.SupabaseRealtimeNotifier}: the seed worker's way, a
 *       Supabase Realtime {@code postgres_changes} INSERT subscription on {@code coding_jobs}.
 *   <li>{@link dev.mobvibe.queue.realtime.RealtimeClient}: subscribe to any table's inserts,
 *       updates or deletes over Supabase Realtime, with typed callbacks.
 * </ul>
 *
 * <p>Notifications only wake workers: polling remains what guarantees progress. Everything in
 * {@code dev.mobvibe.queue.realtime.internal} may change without notice.
 */
@NullMarked
package dev.mobvibe.queue.realtime;

import org.jspecify.annotations.NullMarked;
