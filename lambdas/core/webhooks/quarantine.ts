import * as z from 'zod';

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
