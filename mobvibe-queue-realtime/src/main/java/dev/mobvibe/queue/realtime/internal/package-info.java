/**
 * Internal machinery of the realtime module: the LISTEN thread, the Phoenix/Realtime protocol state
 * machines and codecs. Internal API: may change without notice.
 */
package dev.mobvibe.queue.realtime.internal;
