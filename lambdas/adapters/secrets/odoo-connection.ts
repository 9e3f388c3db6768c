import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';

/**
 * Where Odoo is and how to log in. In AWS the JSON lives in Secrets Manager (rotated by an operator);
 * locally the runtime serves the same secret from its Secrets Manager stand-in. Cached for five minutes
 * so a warm Lambda does not read it per message, yet picks up a rotated key without a redeploy.
 */
export interface OdooConnection {
  url: string;
  db: string;
  login: string;
  apiKey: string;
  /** `jsonrpc` for Odoo 17/18, `json2` for Odoo 19+. */
  protocol: 'jsonrpc' | 'json2';
}

/** The secret's JSON could not be read as a connection; `problems` names each field and what is wrong. */
export class InvalidOdooConnection extends Error {
  constructor(readonly problems: string[]) {
    super(`The Odoo connection secret is not valid: ${problems.join('; ')}`);
    this.name = 'InvalidOdooConnection';
  }
}

/**
 * Reads the secret's JSON (the rules zod's `{url: url(), db/login/apiKey: min(1), protocol: enum, default
 * 'jsonrpc'}` applied before): written out by hand because health and the breaker probe need no other schema,
 * and zod alone is a quarter of their bundles and of their cold init (issue 16, docs/benchmarks.md). Like zod's
 * `url()`, the URL is trimmed and loses ASCII tabs and newlines; unknown members are dropped.
 */
export function parseOdooConnection(value: unknown): OdooConnection {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InvalidOdooConnection(['expected a JSON object']);
  const raw = value as Record<string, unknown>;
  const problems: string[] = [];
  const text = (name: 'db' | 'login' | 'apiKey'): string => {
    const member = raw[name];
    if (typeof member !== 'string' || member.length < 1)
      problems.push(`${name}: expected a non-empty string`);
    return typeof member === 'string' ? member : '';
  };
  let url = '';
  if (typeof raw.url !== 'string') problems.push('url: expected a string');
  else {
    const trimmed = raw.url.trim();
    if (URL.canParse(trimmed)) url = trimmed.replace(/[\t\n\r]/g, '');
    else problems.push('url: not a valid URL');
  }
  const db = text('db');
  const login = text('login');
  const apiKey = text('apiKey');
  const protocol = raw.protocol === undefined ? 'jsonrpc' : raw.protocol;
  if (protocol !== 'jsonrpc' && protocol !== 'json2')
    problems.push("protocol: expected 'jsonrpc' or 'json2'");
  if (problems.length > 0) throw new InvalidOdooConnection(problems);
  return { url, db, login, apiKey, protocol: protocol as OdooConnection['protocol'] };
}

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
    return parseOdooConnection(value);
  }
}
