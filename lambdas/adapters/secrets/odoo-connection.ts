import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import * as z from 'zod';

/**
 * Where Odoo is and how to log in. In AWS the JSON lives in Secrets Manager (rotated by an operator);
 * locally the runtime serves the same secret from its Secrets Manager stand-in. Cached for five minutes
 * so a warm Lambda does not read it per message, yet picks up a rotated key without a redeploy.
 */
export const OdooConnection = z.object({
  url: z.string().url(),
  db: z.string().min(1),
  login: z.string().min(1),
  apiKey: z.string().min(1),
  /** `jsonrpc` for Odoo 17/18, `json2` for Odoo 19+. */
  protocol: z.enum(['jsonrpc', 'json2']).default('jsonrpc'),
});
export type OdooConnection = z.infer<typeof OdooConnection>;

const CACHE_SECONDS = 300;

/**
 * The Odoo connection secret of one handler. Each handler module holds its own provider (as it holds its own
 * SDK clients) rather than Powertools' process-wide default: in Lambda that is the same thing, and the local
 * runtime, which runs several hubs in one process (tests, the benchmark), never hands one hub another's Odoo.
 */
export class OdooConnectionSecret {
  private readonly provider = new SecretsProvider();

  constructor(private readonly secretId: string) {}

  async load(options: { forceFetch?: boolean } = {}): Promise<OdooConnection> {
    const value = await this.provider.get(this.secretId, {
      transform: 'json',
      maxAge: CACHE_SECONDS,
      forceFetch: options.forceFetch,
    });
    return OdooConnection.parse(value);
  }
}
