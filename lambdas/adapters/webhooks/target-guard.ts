import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { forbiddenAddress, isLoopback } from '../../core/webhooks/targets.js';
import { env } from '../../env.js';

/**
 * Enforces core/webhooks/targets.ts on the wire: a subscription URL's host is resolved and every address
 * checked when it is created, and the delivery connects only to an address checked by this same lookup
 * (so a DNS answer that changes to 169.254.169.254 after creation is refused at delivery — no rebinding).
 *
 * Local runtime only (stage `local` and WEBHOOK_ALLOW_LOOPBACK set by local/runtime.ts): loopback receivers of
 * the tests are allowed, except the hub's own ports (Odoo sandbox, DynamoDB, the gateway) it lists in
 * WEBHOOK_DENIED_LOOPBACK_PORTS. Never in a deployed stage, whatever its environment says.
 */
export interface TargetPolicy {
  /** Local only: may this plain-http loopback port receive webhooks (the tests' receivers)? */
  allowLoopbackPorts: ((port: number) => boolean) | undefined;
}

export function targetPolicy(stage = process.env[env.stage]): TargetPolicy {
  if (stage !== 'local' || process.env[env.webhookAllowLoopback] !== 'true')
    return { allowLoopbackPorts: undefined };
  return {
    allowLoopbackPorts: (port) =>
      !(process.env[env.webhookDeniedLoopbackPorts] ?? '')
        .split(',')
        .filter(Boolean)
        .map(Number)
        .includes(port),
  };
}

function addressProblem(address: string, url: URL, policy: TargetPolicy): string | undefined {
  // The local exception covers the tests' plain-http receivers only: an https loopback URL is refused as in AWS.
  if (isLoopback(address) && policy.allowLoopbackPorts && url.protocol === 'http:') {
    const port = portOf(url);
    return policy.allowLoopbackPorts(port) ? undefined : `is one of the hub's own services (port ${port})`;
  }
  return forbiddenAddress(address);
}

export function portOf(url: URL): number {
  return Number(url.port || (url.protocol === 'https:' ? 443 : 80));
}

type Lookup = (
  hostname: string,
  options: { all: true },
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

function resolveAll(hostname: string, lookup: Lookup): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) =>
    lookup(hostname, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))),
  );
}

/** At creation: why the URL's host may not receive webhooks (unresolvable, or any address forbidden). */
export async function targetProblem(
  raw: string,
  policy: TargetPolicy = targetPolicy(),
  lookup: Lookup = dnsLookup as unknown as Lookup,
): Promise<string | undefined> {
  const url = new URL(raw);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: LookupAddress[];
  try {
    addresses = await resolveAll(host, lookup);
  } catch {
    // Not resolvable now (not yet published, or no DNS where the hub runs): nothing to judge yet. Every
    // delivery resolves again and refuses a forbidden answer, so accepting it opens nothing.
    return undefined;
  }
  for (const { address } of addresses) {
    const problem = addressProblem(address, url, policy);
    if (problem) return `host ${problem}`;
  }
  return undefined;
}

/**
 * At delivery: the `lookup` option for http(s).request. It resolves once, refuses when any address is
 * forbidden, and hands the socket the address it checked.
 */
export function guardedLookup(url: URL, policy: TargetPolicy = targetPolicy()) {
  return (
    hostname: string,
    options: { all?: boolean },
    callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    dnsLookup(hostname, { all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const refused = addresses.map((a) => addressProblem(a.address, url, policy)).find(Boolean);
      if (refused) return callback(new Error(`target refused: host ${refused}`), '', 0);
      const first = addresses[0] as LookupAddress;
      if (options.all) return callback(null, addresses);
      return callback(null, first.address, first.family);
    });
  };
}

/** Node skips `lookup` for an IP literal host: the delivery checks the literal itself. */
export function literalTargetProblem(url: URL, policy: TargetPolicy = targetPolicy()): string | undefined {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return isIP(host) ? addressProblem(host, url, policy) : undefined;
}
