import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import * as z from 'zod';
import { WEBHOOK_SOURCES, type WebhookSource } from '../../core/webhooks/sources.js';

/**
 * Per-source webhook secrets, one Secrets Manager secret for the stage (docs/webhooks.md#secrets):
 *   {"clearinghouse":{"secrets":["<current>","<previous>"]},"gateway":{…},"odoo":{"secrets":["<url token>"]}}
 * At most two active secrets per source, so a rotation (add the new one, move senders, drop the old one) never
 * drops a delivery. A source absent from the secret is unknown to the hub: its webhooks get 401.
 */
const SourceSecrets = z.object({ secrets: z.array(z.string().min(16).max(256)).min(1).max(2) });
export const WebhookSourcesConfig = z.partialRecord(z.enum(WEBHOOK_SOURCES), SourceSecrets);
export type WebhookSourcesConfig = z.infer<typeof WebhookSourcesConfig>;

/** Cached briefly: a rotation reaches warm functions within a minute, without a read per request. */
const CACHE_SECONDS = 60;

/** The stage's webhook source secrets, through this handler's own provider (see OdooConnectionSecret). */
export class WebhookSourceSecrets {
  private readonly provider = new SecretsProvider();

  constructor(private readonly secretId: string) {}

  async forSource(source: WebhookSource): Promise<readonly string[] | undefined> {
    const value = await this.provider.get(this.secretId, { transform: 'json', maxAge: CACHE_SECONDS });
    const parsed = WebhookSourcesConfig.safeParse(value);
    // A malformed secret is an operator error: treat every source as unconfigured (401) rather than fail open.
    if (!parsed.success) return undefined;
    return parsed.data[source]?.secrets;
  }
}
