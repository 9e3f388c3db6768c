import { readFileSync, statSync } from 'node:fs';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { type PartnerClient, PartnerRegistry, type Principal, principalOf } from '../../core/partners.js';
import { env } from '../../env.js';
import { callerClientId, RequestRejected } from '../http/api-request.js';
import { ProblemType, problem } from '../http/problem.js';

/**
 * The partner registry (docs/security.md#registry): in AWS the stage config's clients with their Cognito
 * client ids, as JSON in `PARTNER_REGISTRY` (lib/api.ts); locally the file `npm run clients` writes
 * (`PARTNER_REGISTRY_FILE`), read again whenever it changes so an added or revoked client counts at once.
 * A client missing from the registry is refused everything, whatever scopes its token carries.
 */
export class PartnerDirectory {
  private cached: { stamp: string; byId: Map<string, PartnerClient> } | undefined;

  constructor(private readonly source: () => { stamp: string; read: () => string }) {}

  static fromEnvironment(): PartnerDirectory {
    return new PartnerDirectory(() => {
      const file = process.env[env.partnerRegistryFile];
      if (file) {
        let stamp = 'absent';
        try {
          const stat = statSync(file);
          stamp = `${stat.mtimeMs}:${stat.size}`;
        } catch {
          return { stamp, read: () => '[]' };
        }
        return { stamp, read: () => readFileSync(file, 'utf8') };
      }
      const inline = process.env[env.partnerRegistry] ?? '[]';
      return { stamp: inline, read: () => inline };
    });
  }

  find(clientId: string): PartnerClient | undefined {
    const { stamp, read } = this.source();
    if (this.cached?.stamp !== stamp) {
      const clients = PartnerRegistry.parse(JSON.parse(read()));
      this.cached = { stamp, byId: new Map(clients.map((c) => [c.clientId, c])) };
    }
    return this.cached.byId.get(clientId);
  }

  principal(clientId: string): Principal | undefined {
    const client = this.find(clientId);
    return client ? principalOf(client) : undefined;
  }
}

let shared: PartnerDirectory | undefined;
/** One directory per handler instance (the file is re-read only when it changes). */
export function partnerDirectory(): PartnerDirectory {
  shared ??= PartnerDirectory.fromEnvironment();
  return shared;
}

/** The caller as a registered principal; an unregistered (or revoked) client is refused with 403. */
export function callerPrincipal(
  event: APIGatewayProxyEvent,
  directory: PartnerDirectory = partnerDirectory(),
): Principal {
  const clientId = callerClientId(event);
  const principal = directory.principal(clientId);
  if (!principal) {
    throw new RequestRejected(
      problem(
        ProblemType.notEntitled,
        403,
        'Client not registered',
        'This client is not in the partner registry (or was revoked); it may not act for anyone.',
      ),
    );
  }
  return principal;
}

/** 403: the document touches what belongs to another facility or payer. */
export function notEntitled(reason: string): RequestRejected {
  return new RequestRejected(problem(ProblemType.notEntitled, 403, 'Not entitled', reason));
}
