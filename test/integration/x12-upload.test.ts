import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { write835 } from '../../lambdas/core/x12/write-835.js';
import type { Hub } from '../../local/runtime.js';
import { generatedRemittance } from '../bench/x12-835.js';
import { seedClaimThroughApi } from './support/claims.js';
import { accessToken, eventually, startTestHub } from './support/hub.js';

/**
 * Issue #4, large files: POST /v1/remittance-uploads → presigned PUT (local S3 stand-in) → ObjectCreated →
 * the processor streams the 835 through upload.ts → GET status. A generated 2,000-claim ERA; three of its
 * claims are seeded through the JSON API (seeding all 2,000 would take minutes), the rest are kept unmatched.
 */
let hub: Hub;
let token: string;
let keys = 0;

beforeAll(async () => {
  hub = await startTestHub();
  token = await accessToken(hub);
});

afterAll(async () => {
  await hub?.close();
});

async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${hub.baseUrl}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      ...(method === 'GET' ? {} : { 'Idempotency-Key': `upload-it-${++keys}-${Date.now()}` }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const seedClaim = (claimId: string, billedCents: number) =>
  seedClaimThroughApi(call, {
    claimId,
    billedCents,
    prefix: 'UPL',
    payerId: 'PAYER-UPL',
    payerName: 'Upload Payer',
  });

async function createUpload() {
  const created = await call('POST', '/v1/remittance-uploads');
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body as {
    uploadId: string;
    uploadUrl: string;
    statusUrl: string;
    expiresAt: string;
    headers: Record<string, string>;
  };
}

const put = (url: string, body: string) =>
  fetch(url, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/edi-x12' },
    body: Buffer.from(body, 'latin1'),
  });

const finalStatus = (statusUrl: string) =>
  eventually(
    async () => {
      const view = await call('GET', statusUrl);
      return ['accepted', 'rejected'].includes(view.body.status as string) ? view.body : undefined;
    },
    // Every unmatched claim payment is kept with an exception: hundreds of writes, far slower on loaded cores.
    300_000,
    'upload outcome',
  );

describe('POST /v1/remittance-uploads (large X12 835s)', () => {
  it('accepts an ERA over the 256 KB body limit, uploaded with a presigned PUT, and posts the claims it can place', async () => {
    // Prepare
    const spec = generatedRemittance(500);
    const seeded = [0, 249, 499];
    const encounters: string[] = [];
    for (const i of seeded) {
      const claim = spec.claims[i];
      if (!claim) throw new Error('no claim');
      encounters.push(await seedClaim(claim.claimId, claim.billedCents));
    }
    await hub.waitForIdle();
    const file = [...write835(spec, { lineBreak: '\n' })].join('');
    // Over the contract's 256 KB body limit: this file can only arrive through the upload path.
    expect(file.length).toBeGreaterThan(256 * 1024);
    const upload = await createUpload();
    expect(upload.uploadUrl).toContain(`/uploads/`);
    expect(upload.uploadUrl).toContain('X-Amz-Signature=');
    expect(await call('GET', upload.statusUrl)).toMatchObject({
      status: 200,
      body: { status: 'awaiting_upload' },
    });

    // Act
    const response = await put(upload.uploadUrl, file);
    const outcome = await finalStatus(upload.statusUrl);
    await hub.waitForIdle();

    // Assess
    expect(response.status).toBe(200);
    expect(outcome).toMatchObject({
      status: 'accepted',
      counts: { claims: 500, events: 3, unmatched: 497, providerAdjustments: 1 },
    });
    for (const encounterId of encounters) {
      const view = (await call('GET', `/v1/workflows/${encounterId}`)).body as {
        remittances: Array<{ traceNumber: string }>;
      };
      expect(
        view.remittances.map((r) => r.traceNumber),
        encounterId,
      ).toEqual([spec.traceNumber]);
    }
  });

  it('rejects an unbalanced file with the segment position and posts nothing', async () => {
    // Prepare
    const spec = generatedRemittance(50);
    spec.traceNumber = 'EFT-UNBALANCED';
    const claim = spec.claims[10];
    if (!claim) throw new Error('no claim');
    const encounterId = await seedClaim(claim.claimId, claim.billedCents);
    await hub.waitForIdle();
    claim.paidCents += 100; // CLP04 no longer = CLP03 − adjustments
    const upload = await createUpload();

    // Act
    await put(upload.uploadUrl, [...write835(spec)].join(''));
    const outcome = await finalStatus(upload.statusUrl);
    await hub.waitForIdle();

    // Assess
    expect(outcome.status).toBe('rejected');
    const errors = (outcome.problem as { errors: Array<{ path: string }> }).errors;
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]?.path).toMatch(/^segment:\d+ [A-Z0-9]+$/);
    const view = (await call('GET', `/v1/workflows/${encounterId}`)).body as { remittances: unknown[] };
    expect(view.remittances).toEqual([]);
  });

  it('ignores an object without an upload record, and answers 404 for an unknown upload', async () => {
    // Act
    const stray = await fetch(
      `${hub.aws.endpoint}/rcm-hub-local-remittance-uploads/uploads/nobody/upl_00000000000000000000000000.835`,
      {
        method: 'PUT',
        body: 'ISA*garbage~',
      },
    );
    await hub.waitForIdle();
    const unknown = await call('GET', '/v1/remittance-uploads/upl_00000000000000000000000000');

    // Assess
    expect(stray.status).toBe(200);
    expect(unknown.status).toBe(404);
  });
});
