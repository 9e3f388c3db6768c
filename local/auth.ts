import { randomBytes, randomUUID, timingSafeEqual, type webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWTPayload, jwtVerify, SignJWT } from 'jose';

/**
 * The local stand-in for Cognito's token endpoint and the API Gateway Cognito authorizer: a
 * client-credentials grant issues an RS256 access token with the client's scopes; every scoped route
 * checks signature, expiry, `token_use` and scope, and hands the claims to the handler as API Gateway
 * does (`requestContext.authorizer.claims`, values as strings).
 */
export interface ClientRegistration {
  clientId: string;
  clientSecret: string;
  scopes: string[];
}

export interface AccessClaims extends JWTPayload {
  client_id: string;
  scope: string;
  token_use: 'access';
}

/** Clients registered by `npm run clients` (local/clients.ts), looked up on every token request. */
export interface RegisteredClients {
  find(clientId: string): ClientRegistration | undefined;
  /** Partner claims carried in the token (role, facilities, payers), for the caller's own information. */
  claims(clientId: string): Record<string, string>;
}

const TOKEN_TTL_SECONDS = 3600;

export class LocalTokenIssuer {
  private constructor(
    private readonly privateKey: CryptoKey,
    private readonly publicKey: CryptoKey,
    private readonly issuer: string,
    private readonly clients: Map<string, ClientRegistration>,
    private readonly registered: RegisteredClients,
  ) {}

  /** A client added by `npm run clients` (read per call, so a revoked client stops at once), else a fixed one. */
  private client(clientId: string): ClientRegistration | undefined {
    return this.registered.find(clientId) ?? this.clients.get(clientId);
  }

  /** Key pair kept under the state dir, so tokens outlive a restart like Cognito's would. */
  static async create(
    stateDir: string,
    issuer: string,
    clients: ClientRegistration[],
    registered: RegisteredClients = { find: () => undefined, claims: () => ({}) },
  ): Promise<LocalTokenIssuer> {
    const keyFile = join(stateDir, 'token-signing-key.json');
    let privateKey: CryptoKey;
    let publicKey: CryptoKey;
    if (existsSync(keyFile)) {
      const jwks = JSON.parse(readFileSync(keyFile, 'utf8'));
      privateKey = (await importJWK(jwks.private, 'RS256')) as CryptoKey;
      publicKey = (await importJWK(jwks.public, 'RS256')) as CryptoKey;
    } else {
      ({ privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true }));
      writeFileSync(
        keyFile,
        JSON.stringify({ private: await exportJWK(privateKey), public: await exportJWK(publicKey) }),
        { mode: 0o600 },
      );
    }
    return new LocalTokenIssuer(
      privateKey,
      publicKey,
      issuer,
      new Map(clients.map((c) => [c.clientId, c])),
      registered,
    );
  }

  /** `POST /oauth2/token` as Cognito answers it (RFC 6749 §4.4, errors per §5.2). */
  async tokenEndpoint(
    form: URLSearchParams,
    authorization: string | undefined,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    if (form.get('grant_type') !== 'client_credentials') {
      return { status: 400, body: { error: 'unsupported_grant_type' } };
    }
    const credentials = clientCredentials(form, authorization);
    const client = credentials ? this.client(credentials.clientId) : undefined;
    if (!credentials || !client || !safeEqual(client.clientSecret, credentials.clientSecret)) {
      return { status: 401, body: { error: 'invalid_client' } };
    }
    const requested = form.get('scope')?.split(/\s+/).filter(Boolean) ?? client.scopes;
    if (requested.some((scope) => !client.scopes.includes(scope))) {
      return { status: 400, body: { error: 'invalid_scope' } };
    }
    const token = await new SignJWT({
      client_id: client.clientId,
      scope: requested.join(' '),
      token_use: 'access',
      // Informational: handlers decide from the registry itself, so a revocation counts before expiry.
      ...this.registered.claims(client.clientId),
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'local' })
      .setIssuer(this.issuer)
      .setSubject(client.clientId)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(`${TOKEN_TTL_SECONDS}s`)
      .sign(this.privateKey);
    return {
      status: 200,
      body: { access_token: token, token_type: 'Bearer', expires_in: TOKEN_TTL_SECONDS },
    };
  }

  /** Verifies a bearer token for a route's scope: `unauthorized` (401) or `forbidden` (403) or the claims. */
  async authorize(
    authorization: string | undefined,
    scope: string,
  ): Promise<
    { ok: true; claims: Record<string, string> } | { ok: false; status: 401 | 403; detail: string }
  > {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match?.[1])
      return { ok: false, status: 401, detail: 'Send an access token as "Authorization: Bearer <token>".' };
    let claims: AccessClaims;
    try {
      ({ payload: claims } = (await jwtVerify(match[1], this.publicKey, {
        issuer: this.issuer,
        algorithms: ['RS256'],
      })) as unknown as {
        payload: AccessClaims;
      });
    } catch (error) {
      return { ok: false, status: 401, detail: `The access token is not valid: ${(error as Error).message}` };
    }
    if (claims.token_use !== 'access')
      return { ok: false, status: 401, detail: 'Only access tokens are accepted.' };
    if (!this.client(claims.client_id))
      return { ok: false, status: 401, detail: 'The client behind this token has been revoked.' };
    if (!claims.scope.split(' ').includes(scope)) {
      return { ok: false, status: 403, detail: `The access token lacks the scope ${scope}.` };
    }
    return { ok: true, claims: Object.fromEntries(Object.entries(claims).map(([k, v]) => [k, String(v)])) };
  }
}

function clientCredentials(form: URLSearchParams, authorization: string | undefined) {
  const basic = /^Basic\s+(\S+)$/i.exec(authorization ?? '');
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const separator = decoded.indexOf(':');
    if (separator > 0) {
      return {
        clientId: decodeURIComponent(decoded.slice(0, separator)),
        clientSecret: decodeURIComponent(decoded.slice(separator + 1)),
      };
    }
  }
  const clientId = form.get('client_id');
  const clientSecret = form.get('client_secret');
  return clientId && clientSecret ? { clientId, clientSecret } : undefined;
}

function safeEqual(expected: string, actual: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(actual);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Development client: from RCM_DEV_CLIENT_ID/SECRET, else generated once and kept in the state dir. */
export function developmentClient(stateDir: string, scopes: string[]): ClientRegistration {
  const file = join(stateDir, 'dev-client.json');
  const fromEnv = process.env.RCM_DEV_CLIENT_ID && process.env.RCM_DEV_CLIENT_SECRET;
  if (fromEnv) {
    return {
      clientId: process.env.RCM_DEV_CLIENT_ID as string,
      clientSecret: process.env.RCM_DEV_CLIENT_SECRET as string,
      scopes,
    };
  }
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as ClientRegistration;
    return { ...saved, scopes };
  }
  const client = { clientId: 'rcm-dev-client', clientSecret: randomBytes(24).toString('base64url'), scopes };
  writeFileSync(file, JSON.stringify(client), { mode: 0o600 });
  return client;
}
