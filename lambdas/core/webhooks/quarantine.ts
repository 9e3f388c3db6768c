import * as z from 'zod';
import { PartnerId } from '../identifiers.js';

/**
 * The facility a payload says it is for (`data.facilityId`, where the clearinghouse and gateway payloads carry
 * it), read leniently from a body that could not be mapped: quarantined deliveries are listed and replayed only
 * by people of that facility (docs/security.md#webhooks). Undefined when it names none or not a valid id:
 * then only all-facility clients see it.
 */
export function claimedFacility(rawBody: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(rawBody);
  } catch {
    return undefined;
  }
  const data = (value as { data?: unknown } | null)?.data;
  const facilityId = (data as { facilityId?: unknown } | null | undefined)?.facilityId;
  return PartnerId.safeParse(facilityId).success ? (facilityId as string) : undefined;
}

/** An operator's replay of a quarantined webhook: optionally with the body corrected by hand. */
export const WebhookReplayRequest = z
  .object({
    correctedBody: z
      .string()
      .min(2)
      .max(256 * 1024)
      .optional()
      .meta({
        description: 'The raw payload to map instead of the one received (JSON text); the original is kept',
      }),
  })
  .strict()
  .meta({ id: 'WebhookReplayRequest' });
export type WebhookReplayRequest = z.infer<typeof WebhookReplayRequest>;
