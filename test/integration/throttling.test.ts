import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../local/runtime.js';
import { accessToken, startTestHub } from './support/hub.js';

/**
 * Issue #15: one partner cannot starve the rest. The local gateway enforces each client's limits as API Gateway
 * enforces its usage plan in AWS: over its budget a client gets 429 problem+json, while another client is
 * served. The greedy client refills one request per ~17 minutes, so the outcome does not depend on how fast
 * this machine sends.
 */
let hub: Hub;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  hub = await startTestHub({
    clientThrottle: {
      default: { rateLimit: 0.001, burstLimit: 5 },
      byName: { 'greedy-clinic': { rateLimit: 0.001, burstLimit: 3 } },
    },
  });
  for (const [name, facility] of [
    ['greedy-clinic', 'FAC-GREEDY'],
    ['polite-clinic', 'FAC-POLITE'],
  ] as const) {
    const added = hub.registerClient({ name, role: 'partner', facilities: [facility] });
    tokens[name] = await accessToken(hub, { ...added, scopes: [...added.scopes] });
  }
  tokens.developer = await accessToken(hub);
});

afterAll(async () => {
  await hub?.close();
});

const read = (who: string) =>
  fetch(`${hub.baseUrl}/v1/workflows`, { headers: { Authorization: `Bearer ${tokens[who]}` } });

describe('per-client throttling on the local gateway', () => {
  it('answers a client over its limit 429 problem+json with Retry-After, and serves another client meanwhile', async () => {
    // Act: the greedy client sends ten reads at once (its burst is 3), then the polite one sends its own
    const greedy = await Promise.all(Array.from({ length: 10 }, () => read('greedy-clinic')));
    const polite = await Promise.all(Array.from({ length: 5 }, () => read('polite-clinic')));

    // Assess
    expect(greedy.map((r) => r.status).sort()).toEqual([200, 200, 200, ...Array(7).fill(429)]);
    const refused = greedy.find((r) => r.status === 429) as Response;
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({
      type: 'https://rcm-hub.dev/problems/throttled',
      title: 'Too many requests',
      status: 429,
    });
    expect(polite.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    // The polite client's own budget (5) is now spent too: the limit is per client, not a shared pool.
    expect((await read('polite-clinic')).status).toBe(429);
  });

  it('does not throttle the open routes or the local all-scope developer client', async () => {
    const developer = await Promise.all(Array.from({ length: 30 }, () => read('developer')));
    expect(developer.every((r) => r.status === 200)).toBe(true);
    expect((await fetch(`${hub.baseUrl}/health`)).status).toBe(200);
  });
});
