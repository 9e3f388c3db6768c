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

  it('refuses a file with one claim of another facility whole: no batch before it is kept (issue #15)', async () => {
    // Prepare: the uploader acts for FAC-UPL only; claim 0 is its own, claim 449 (the third batch of 200) is
    // FAC-OTHER's. Accepting batch by batch would have kept the first two batches, claim 0 with them.
    const spec = generatedRemittance(450);
    spec.traceNumber = 'EFT-MIXED-FACILITIES';
    // Claim ids of their own: the first test of this file placed the generated ones already.
    for (const c of spec.claims) {
      c.claimId = `MIX-${c.claimId}`;
      c.payerClaimControlNumber = `MIX${c.payerClaimControlNumber}`;
    }
    const own = spec.claims[0];
    const foreign = spec.claims[449];
    if (!own || !foreign) throw new Error('no claim');
    const ownEncounter = await seedClaim(own.claimId, own.billedCents);
    const foreignEncounter = await seedClaimThroughApi(call, {
      claimId: foreign.claimId,
      billedCents: foreign.billedCents,
      prefix: 'OTHER',
      payerId: 'PAYER-UPL',
      payerName: 'Upload Payer',
    });
    await hub.waitForIdle();
    const added = hub.registerClient({ name: 'upl-clinic', role: 'partner', facilities: ['FAC-UPL'] });
    const clinicToken = await accessToken(hub, { ...added, scopes: [...added.scopes] });
    const created = await fetch(`${hub.baseUrl}/v1/remittance-uploads`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${clinicToken}`, 'Idempotency-Key': `upl-mixed-${Date.now()}` },
    });
    expect(created.status).toBe(201);
    const upload = (await created.json()) as { uploadUrl: string; statusUrl: string };

    // Act
    await put(upload.uploadUrl, [...write835(spec, { lineBreak: '\n' })].join(''));
    // The upload is the clinic's: only its own client reads its status.
    const outcome = await eventually(
      async () => {
        const view = await fetch(`${hub.baseUrl}${upload.statusUrl}`, {
          headers: { Authorization: `Bearer ${clinicToken}` },
        });
        const body = view.ok ? ((await view.json()) as Record<string, unknown>) : {};
        return ['accepted', 'rejected'].includes(body.status as string) ? body : undefined;
      },
      120_000,
      'upload outcome',
    );
    await hub.waitForIdle();

    // Assess: 403 for the whole file, and neither encounter got a remittance from it
    expect(outcome).toMatchObject({
      status: 'rejected',
      problem: { status: 403, type: 'https://rcm-hub.dev/problems/not-entitled' },
    });
    expect((outcome.problem as { detail: string }).detail).toContain('Nothing of this file was accepted.');
    for (const encounterId of [ownEncounter, foreignEncounter]) {
      const view = (await call('GET', `/v1/workflows/${encounterId}`)).body as {
        remittances: Array<{ traceNumber: string }>;
      };
      expect(view.remittances, encounterId).toEqual([]);
    }
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
