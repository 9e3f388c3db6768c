import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../local/runtime.js';
import { accessToken, itemCount, startTestHub } from '../integration/support/hub.js';

/**
 * Issue #15: hostile input over every write route, over real HTTP against the local hub. Whatever a partner
 * sends — a valid document with one member replaced by something hostile, a hostile path id, header or raw
 * body — the hub never answers 5xx, and a refused request writes nothing (the workflow table is unchanged).
 * `npm test` runs a smoke-sized sample; `npm run test:chaos` runs WRITE_FUZZ_RUNS per route (default 150).
 */
const RUNS = Number(process.env.WRITE_FUZZ_RUNS ?? 4);
const sample = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../events/samples/requests/${name}.json`, import.meta.url), 'utf8'));

interface WriteRoute {
  name: string;
  method: 'POST' | 'PUT';
  path: (id: string) => string;
  body: Record<string, unknown>;
  contentType?: string;
}

const ROUTES: WriteRoute[] = [
  { name: 'upsertPatient', method: 'PUT', path: (id) => `/v1/patients/${id}`, body: sample('upsertPatient') },
  { name: 'upsertPayer', method: 'PUT', path: (id) => `/v1/payers/${id}`, body: sample('upsertPayer') },
  ...(
    [
      ['submitCharges', '/v1/charges'],
      ['submitInvoice', '/v1/invoices'],
      ['submitClaim', '/v1/claims'],
      ['submitClaimStatus', '/v1/claim-statuses'],
      ['submitRemittance', '/v1/remittances'],
      ['submitPayment', '/v1/payments'],
      ['startReconciliation', '/v1/reconciliations'],
      ['createSubscription', '/v1/subscriptions'],
    ] as const
  ).map(([name, path]) => ({ name, method: 'POST' as const, path: () => path, body: sample(name) })),
  {
    name: 'fhirClaim',
    method: 'POST',
    path: () => '/fhir/r4/Claim',
    contentType: 'application/fhir+json',
    body: {
      resourceType: 'Claim',
      identifier: [{ system: 'urn:fuzz', value: 'CLM-FUZZ-1' }],
      status: 'active',
      use: 'claim',
      created: '2026-11-03T00:00:00Z',
      total: { value: 12.5, currency: 'USD' },
      item: [{ sequence: 1, productOrService: { text: 'x' }, quantity: { value: 1 } }],
    },
  },
];

/** The values the review found answered 5xx, and their relatives. */
const HOSTILE: unknown[] = [
  'NaN',
  '1e308',
  1e308,
  -1e308,
  '12.345',
  '',
  '１２.００',
  '\u0000',
  'NUL\u0000inside',
  'bell\u0007',
  '../../etc/passwd',
  'X/../../x',
  `quote'"\\`,
  'a'.repeat(10_000),
  null,
  true,
  0,
  -0,
  [],
  {},
  { $ne: null },
  '2026-02-30',
  '\ud800',
];

function leafPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leafPaths(v, [...prefix, i]));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...leafPaths(v, [...prefix, k])]);
  return [prefix];
}

function replaced(body: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  const copy = (Array.isArray(body) ? [...body] : { ...(body as object) }) as Record<
    string | number,
    unknown
  >;
  copy[head] = replaced(copy[head], rest, value);
  return copy;
}

const hostileValue = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE) },
  { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.json({ maxDepth: 2 }).map((j) => JSON.parse(j)) },
);

let hub: Hub;
let token: string;
let caseNumber = 0;

beforeAll(async () => {
  hub = await startTestHub();
  token = await accessToken(hub);
});

afterAll(async () => {
  await hub?.close();
});

/** Lone surrogates replaced, as String#toWellFormed does (ES2024, not in our TS lib). */
const wellFormed = (text: string) =>
  text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

async function send(
  route: WriteRoute,
  raw: string,
  options: { id?: string; correlationId?: string } = {},
): Promise<number> {
  caseNumber += 1;
  const response = await fetch(
    // A lone surrogate cannot be put in a URL at all (the client, not the hub, refuses it).
    `${hub.baseUrl}${route.path(encodeURIComponent(wellFormed(options.id ?? `FUZZ-${caseNumber}`)))}`,
    {
      method: route.method,
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': route.contentType ?? 'application/json',
        'Idempotency-Key': `fuzz-key-${caseNumber}-${Date.now()}`,
        ...(options.correlationId === undefined ? {} : { 'X-Correlation-Id': options.correlationId }),
      },
      body: raw,
    },
  );
  await response.arrayBuffer();
  return response.status;
}

/** Sends one case; never a 5xx, and a refusal leaves the workflow table as it was. */
async function expectNoFiveHundredNorWrite(
  route: WriteRoute,
  raw: string,
  options: { id?: string; correlationId?: string } = {},
): Promise<number> {
  await hub.waitForIdle();
  const before = await itemCount(hub, 'WorkflowTable');
  const status = await send(route, raw, options);
  expect(status, `${route.name} answered ${status} for ${raw.slice(0, 200)}`).toBeLessThan(500);
  if (status >= 400) {
    await hub.waitForIdle();
    expect(await itemCount(hub, 'WorkflowTable'), `${route.name} wrote after ${status}`).toBe(before);
  }
  return status;
}

describe('hostile input on every write route', () => {
  it('the cases the review found answering 5xx are 4xx now, and write nothing', async () => {
    const payment = ROUTES.find((r) => r.name === 'submitPayment') as WriteRoute;
    for (const amount of ['NaN', '1e308', '12.345', '', '１２', 1e308]) {
      expect(await expectNoFiveHundredNorWrite(payment, JSON.stringify({ ...payment.body, amount }))).toBe(
        400,
      );
    }
    const invoice = ROUTES.find((r) => r.name === 'submitInvoice') as WriteRoute;
    const lines = (invoice.body.lines as Record<string, unknown>[]).map((l) => ({ ...l, quantity: 1e308 }));
    expect(await expectNoFiveHundredNorWrite(invoice, JSON.stringify({ ...invoice.body, lines }))).toBe(400);
    const reconciliation = ROUTES.find((r) => r.name === 'startReconciliation') as WriteRoute;
    expect(
      await expectNoFiveHundredNorWrite(reconciliation, JSON.stringify(reconciliation.body), {
        correlationId: 'has spaces & quotes"',
      }),
    ).toBe(400);
    for (const facilityId of ['../../etc/passwd', `x'"`]) {
      expect(
        await expectNoFiveHundredNorWrite(
          reconciliation,
          JSON.stringify({ ...reconciliation.body, facilityId }),
        ),
      ).toBe(400);
    }
    const fhir = ROUTES.find((r) => r.name === 'fhirClaim') as WriteRoute;
    // 20,000 levels in 40 KB: under the body limit, so the depth rule itself must refuse it.
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    expect(await expectNoFiveHundredNorWrite(fhir, `{"resourceType":"Claim","text":${deep}}`)).toBe(400);
    const patient = ROUTES.find((r) => r.name === 'upsertPatient') as WriteRoute;
    expect(
      await expectNoFiveHundredNorWrite(patient, JSON.stringify(patient.body), { id: 'X/../../x' }),
    ).toBe(400);
    expect(
      await expectNoFiveHundredNorWrite(patient, JSON.stringify({ ...patient.body, name: 'Nul\u0000Name' })),
    ).toBe(400);
    const charges = ROUTES.find((r) => r.name === 'submitCharges') as WriteRoute;
    const chargeLines = (charges.body.lines as Record<string, unknown>[]).map((l) => ({
      ...l,
      units: 1e308,
    }));
    expect(
      await expectNoFiveHundredNorWrite(charges, JSON.stringify({ ...charges.body, lines: chargeLines })),
    ).toBe(400);
  });

  it.each(ROUTES.map((r) => [r.name, r] as const))(
    '%s: one member made hostile, a hostile path id, header or raw body',
    async (_name, route) => {
      const paths = leafPaths(route.body);
      const mutation = fc.oneof(
        fc
          .record({ path: fc.constantFrom(...paths), value: hostileValue })
          .map(({ path, value }) => ({ raw: JSON.stringify(replaced(route.body, path, value)) })),
        fc
          .oneof(
            fc.constantFrom(...HOSTILE.filter((h) => typeof h === 'string')),
            fc.string({ maxLength: 70 }),
          )
          .map((id) => ({ raw: JSON.stringify(route.body), id: (id as string) || 'x' })),
        fc
          .string({ maxLength: 140 })
          .map((correlationId) => ({ raw: JSON.stringify(route.body), correlationId })),
        fc.oneof(fc.string({ maxLength: 200 }), fc.json({ maxDepth: 4 })).map((raw) => ({ raw })),
      );
      await fc.assert(
        fc.asyncProperty(mutation, async ({ raw, ...options }) => {
          await expectNoFiveHundredNorWrite(route, raw, options);
        }),
        { numRuns: RUNS },
      );
    },
  );
});
