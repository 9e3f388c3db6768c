import * as z from 'zod';

/** Business events a partner may subscribe to (high-value ones; the whole catalog stays internal). */
export const SUBSCRIBABLE_EVENT_TYPES = [
  'InvoicePosted',
  'ClaimStatusChanged',
  'RemittanceReceived',
  'RemittancePosted',
  'PaymentPosted',
  'PaymentReversed',
  'ExceptionOpened',
] as const;
export type SubscribableEventType = (typeof SUBSCRIBABLE_EVENT_TYPES)[number];

export const SubscriptionRequest = z
  .object({
    url: z.string().min(8).max(2048).meta({ description: 'https URL that receives signed POSTs' }),
    eventTypes: z.array(z.enum(SUBSCRIBABLE_EVENT_TYPES)).min(1).max(SUBSCRIBABLE_EVENT_TYPES.length),
    description: z.string().max(200).optional(),
  })
  .strict()
  .meta({ id: 'SubscriptionRequest' });
export type SubscriptionRequest = z.infer<typeof SubscriptionRequest>;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * A subscriber URL must be https with a host name; plain http only to loopback in the local stage (the local
 * runtime's tests run receivers on 127.0.0.1). Credentials in the URL are refused: they would sit in our table.
 */
export function subscriberUrlProblem(raw: string, stage: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username || url.password) return 'must not carry credentials';
  if (url.hash) return 'must not carry a fragment';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && stage === 'local' && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  return stage === 'local' ? 'must be https (or http to a loopback address locally)' : 'must be https';
}

export interface DeliveryAttempt {
  at: string;
  statusCode?: number;
  latencyMs: number;
  error?: string;
}

export type DeliveryStatus = 'pending' | 'retrying' | 'delivered' | 'dead';

/** The body an outbound delivery carries: our envelope, unchanged, so subscribers dedupe by `id`. */
export function deliveryBody(envelope: { id: string; type: string }): string {
  return JSON.stringify(envelope);
}
