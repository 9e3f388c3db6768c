import { createHash } from 'node:crypto';

/** Namespace for the hub's name-based UUIDs (RFC 9562 §5.5). */
const RCM_HUB_NAMESPACE = '6f1c1f7e-3f4a-4b8e-9d7a-2c5e8b0a4d11';

/**
 * A UUIDv5 derived from what makes an event unique (client + idempotency key, or the event it answers).
 * A retried request or a redelivered message yields the same id, so the FIFO dedup id, the timeline
 * key and downstream dedupe all agree without coordination.
 */
export function deterministicEventId(...parts: string[]): string {
  const namespace = Buffer.from(RCM_HUB_NAMESPACE.replaceAll('-', ''), 'hex');
  // JSON keeps part boundaries unambiguous whatever characters the parts contain.
  const digest = createHash('sha1').update(namespace).update(JSON.stringify(parts)).digest();
  digest[6] = ((digest[6] ?? 0) & 0x0f) | 0x50;
  digest[8] = ((digest[8] ?? 0) & 0x3f) | 0x80;
  const hex = digest.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
