import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClaimSpec, write835 } from '../../lambdas/core/x12/write-835.js';
import type { Hub } from '../../local/runtime.js';
import { seedClaimThroughApi } from './support/claims.js';
import { accessToken, itemCount, odoo, startTestHub } from './support/hub.js';

/**
 * Issue #4, X12: the public sample 835s and 277s posted to the local hub as `application/edi-x12`. The claims
 * they name are seeded first through the JSON API (patient, payer, charges, invoice, claim), as a billing
 * system would have sent them before the payer answered.
 */
/** Copies of the public samples, kept in the repository (test/fixtures/x12/SOURCES.md). */
const SAMPLES = fileURLToPath(new URL('../fixtures/x12', import.meta.url));
const sample = (name: string) => readFileSync(`${SAMPLES}/${name}`, 'latin1');

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
  body: unknown,
  options: { contentType?: string; key?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${hub.baseUrl}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': options.contentType ?? 'application/json',
      ...(method === 'GET' ? {} : { 'Idempotency-Key': options.key ?? `x12-it-${++keys}-${Date.now()}` }),
    },
    body: method === 'GET' ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const postX12 = (path: string, text: string, key?: string) =>
  call('POST', path, text, { contentType: 'application/edi-x12', ...(key ? { key } : {}) });

/** The billing system's side of a claim: everything up to ClaimSubmitted, through the JSON API. */
const seedClaim = (claimId: string, billedCents: number, payerId = 'PAYER-X12', variant = '') =>
  seedClaimThroughApi(call, {
    claimId,
    billedCents,
    prefix: 'X12',
    payerId,
    payerName: 'X12 Test Payer',
    variant,
  });

interface WorkflowView {
  state: string;
  remittances: Array<{ remittanceId: string; claimStatus: string; traceNumber: string }>;
  held: Array<{ type: string; waitingFor: string }>;
  timeline: unknown[];
  exceptions: Array<{ key: string; reason: string }>;
}

async function workflow(encounterId: string): Promise<WorkflowView> {
  return (await call('GET', `/v1/workflows/${encounterId}`, undefined)).body as unknown as WorkflowView;
}

const postedPayments = async () =>
  (
    await odoo<unknown[]>(hub, 'account.payment', 'search_read', [[['state', '=', 'posted']]], {
      fields: ['ref'],
    })
  ).length;

describe('POST /v1/remittances with an X12 835', () => {
  it('posts linuxforhealth-1.835 claim by claim, and a retransmission under a new key posts nothing twice', async () => {
    // Prepare
    const encounters = [await seedClaim('5554555444', 80_000), await seedClaim('8765432112', 120_000)];
    await hub.waitForIdle();
    const file = sample('linuxforhealth-1.835');

    // Act
    const first = await postX12('/v1/remittances', file, 'era-lfh1-first');
    await hub.waitForIdle();

    // Assess
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    expect(first.body).toMatchObject({
      status: 'accepted',
      format: 'x12:835',
      transactions: 1,
      claims: 2,
      unmatched: [],
    });
    expect(first.body.accepted).toEqual([
      expect.objectContaining({
        remittanceId: '7170066655:94060555410000',
        claimId: '5554555444',
        encounterId: encounters[0],
      }),
      expect.objectContaining({
        remittanceId: '7170066655:94077799230000',
        claimId: '8765432112',
        encounterId: encounters[1],
      }),
    ]);
    for (const encounterId of encounters) {
      const view = await workflow(encounterId);
      expect(view.held, encounterId).toEqual([]);
      expect(view.state).toBe('payment_posted');
      expect(view.remittances.map((r) => r.traceNumber)).toEqual(['7170066655']);
    }
    const payer = await odoo<Array<{ amount_residual: number; payment_state: string }>>(
      hub,
      'account.move',
      'search_read',
      [[['ref', '=', 'INV-5554555444']]],
      { fields: ['amount_residual', 'payment_state'] },
    );
    expect(payer[0]?.amount_residual).toBe(0);

    // Act again: the same key and body answer the same; the same ERA under a new key books nothing new.
    const paymentsBefore = await postedPayments();
    const replay = await postX12('/v1/remittances', file, 'era-lfh1-first');
    expect(replay.status).toBe(202);
    expect(replay.body.accepted).toEqual(first.body.accepted);
    const resent = await postX12('/v1/remittances', file, 'era-lfh1-retransmitted');
    expect(resent.status).toBe(202);
    await hub.waitForIdle();
    expect(await postedPayments()).toBe(paymentsBefore);
    for (const encounterId of encounters) expect((await workflow(encounterId)).remittances).toHaveLength(1);
  });

  it.each([
    [
      'linuxforhealth-2.835',
      [
        ['666123', 21_136_697],
        ['777777', 1_500_000],
      ],
      'payment_posted',
    ],
    [
      'linuxforhealth-3.835',
      [
        ['L0004828311', 1_032_364],
        ['0001000053', 75_150],
      ],
      'payment_posted',
    ],
    ['pyx12-2.835', [['2005555A', 91_539]], 'exception_pending'],
  ] as const)('posts %s once its claims are known', async (name, claims, state) => {
    const encounters = [];
    for (const [claimId, billed] of claims) encounters.push(await seedClaim(claimId, billed));
    await hub.waitForIdle();

    const answer = await postX12('/v1/remittances', sample(name));
    await hub.waitForIdle();

    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    expect(answer.body.unmatched).toEqual([]);
    expect((answer.body.accepted as unknown[]).length).toBe(claims.length);
    for (const encounterId of encounters) {
      const view = await workflow(encounterId);
      expect(view.held, `${name} ${encounterId}`).toEqual([]);
      expect(view.state, `${name} ${encounterId}: ${JSON.stringify(view.exceptions)}`).toBe(state);
    }
    if (name === 'linuxforhealth-2.835') {
      expect(answer.body.providerAdjustments).toEqual([
        expect.objectContaining({ adjustmentId: '12345:PLB:6543210903:CV:CP', amountCents: -127 }),
      ]);
    }
  });

  it('accepts an ERA whose claims the hub does not know, keeps them as unmatched and says so (tastypackets-1.835)', async () => {
    const answer = await postX12('/v1/remittances', sample('tastypackets-1.835'));
    expect(answer.status).toBe(202);
    expect(answer.body.accepted).toEqual([]);
    expect(answer.body.unmatched).toEqual([
      expect.objectContaining({
        remittanceId: '10100000000:1000210000000030',
        claimId: 'PATIENT ACCOUNT NUMBER',
        paidCents: 3_425,
        path: 'segment:15 CLP',
        reason: expect.stringContaining('unknown to the hub'),
      }),
      expect.objectContaining({ remittanceId: '10100000000:1000220000000020', path: 'segment:34 CLP' }),
      expect.objectContaining({ remittanceId: '10100000000:1000230000000020', path: 'segment:46 CLP' }),
    ]);
  });

  it('places a CLP01 shared by two claims with CLP07, and keeps the one CLP07 cannot place', async () => {
    // Prepare: the same claim id in two encounters; the payer told its claim control number for one (277).
    const first = await seedClaim('SHARED-1', 80_000, 'PAYER-X12', 'A');
    await seedClaim('SHARED-1', 80_000, 'PAYER-X12', 'B');
    await hub.waitForIdle();
    const status = await call('POST', '/v1/claim-statuses', {
      statusId: 'STS-SHARED-1-A',
      claimId: 'SHARED-1',
      encounterId: first,
      facilityId: 'FAC-X12',
      status: 'accepted',
      payerCodes: [{ category: 'A2', code: '20' }],
      effectiveDate: '2026-11-05',
      payerClaimControlNumber: 'PCCN-SHARED-A',
    });
    expect(status.status).toBe(202);
    await hub.waitForIdle();
    const era = sample('linuxforhealth-1.835')
      .replace(
        'CLP*5554555444*1*800.00*450.00*300.00*12*94060555410000',
        'CLP*SHARED-1*1*800.00*450.00*300.00*12*PCCN-SHARED-A',
      )
      .replace(
        'CLP*8765432112*1*1200.00*495.00*600.00*12*94077799230000',
        'CLP*SHARED-1*1*1200.00*495.00*600.00*12*PCCN-UNKNOWN',
      )
      .replace('TRN*1*7170066655', 'TRN*1*7170066699');

    // Act
    const answer = await postX12('/v1/remittances', era);
    await hub.waitForIdle();

    // Assess
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    expect(answer.body.accepted).toEqual([
      expect.objectContaining({ claimId: 'SHARED-1', encounterId: first }),
    ]);
    expect(answer.body.unmatched).toEqual([
      expect.objectContaining({
        claimId: 'SHARED-1',
        payerClaimControlNumber: 'PCCN-UNKNOWN',
        reason:
          'claim id SHARED-1 names 2 claims and payer claim control number PCCN-UNKNOWN matches none of them',
      }),
    ]);
    expect((await workflow(first)).state).toBe('payment_posted');
  });

  it('a reversal (CLP02 22) and its correction in a later ERA undo the original and post the correction', async () => {
    // Prepare: the original payment, then the payer reverses it and pays again (same CLP07) in another ERA.
    const encounterId = await seedClaim('REV-1', 80_000);
    await hub.waitForIdle();
    const claim = (status: string, sign: number, paid: number): ClaimSpec => ({
      claimId: 'REV-1',
      status,
      billedCents: sign * 80_000,
      paidCents: sign * paid,
      filingIndicator: '12',
      payerClaimControlNumber: 'PCCN-REV-1',
      adjustments: [{ group: 'CO', reason: '45', amountCents: sign * (80_000 - paid) }],
      services: [],
      serviceDate: '2026-11-02',
    });
    const era = (trace: string, claims: ClaimSpec[]) =>
      [
        ...write835({
          controlNumber: '0001',
          traceNumber: trace,
          method: 'ACH',
          date: '2026-11-30',
          payerName: 'X12 TEST PAYER',
          payeeName: 'CLINIC',
          payeeNpi: '1234567893',
          claims,
          providerAdjustments: [],
        }),
      ].join('');

    // Act
    const original = await postX12('/v1/remittances', era('EFT-REV-1', [claim('1', 1, 70_000)]));
    await hub.waitForIdle();
    const correction = await postX12(
      '/v1/remittances',
      era('EFT-REV-2', [claim('22', -1, 70_000), claim('1', 1, 75_000)]),
    );
    await hub.waitForIdle();

    // Assess
    expect(original.status).toBe(202);
    expect(correction.status, JSON.stringify(correction.body)).toBe(202);
    expect((correction.body.accepted as Array<{ remittanceId: string }>).map((r) => r.remittanceId)).toEqual([
      'EFT-REV-2:PCCN-REV-1:22',
      'EFT-REV-2:PCCN-REV-1',
    ]);
    const view = await workflow(encounterId);
    expect(view.held).toEqual([]);
    expect(
      view.remittances.map((r) => [
        r.remittanceId,
        r.claimStatus,
        (r as { reversed?: boolean }).reversed ?? false,
      ]),
    ).toEqual([
      ['EFT-REV-1:PCCN-REV-1', '1', true],
      ['EFT-REV-2:PCCN-REV-1:22', '22', false],
      ['EFT-REV-2:PCCN-REV-1', '1', false],
    ]);
    const [invoice] = await odoo<Array<{ amount_residual: number }>>(
      hub,
      'account.move',
      'search_read',
      [
        [
          ['ref', '=', 'INV-REV1'],
          ['move_type', '=', 'out_invoice'],
        ],
      ],
      { fields: ['amount_residual'] },
    );
    expect(invoice?.amount_residual).toBe(0);
  });

  it('refuses the 4010 file with a clear message at its GS (pyx12-1.835)', async () => {
    const answer = await postX12('/v1/remittances', sample('pyx12-1.835'));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      title: 'Unsupported X12 version',
      errors: [
        {
          path: 'segment:2 GS',
          message: expect.stringContaining('004010X091A1 is a 4010 implementation guide'),
        },
      ],
    });
  });

  it('refuses an unbalanced ERA whole, with the segment and the numbers, and posts nothing', async () => {
    await seedClaim('CLM-X12-UNBAL', 10_000);
    await hub.waitForIdle();
    const before = await itemCount(hub, 'WorkflowTable');
    const text = sample('linuxforhealth-1.835')
      .replace('CLP*5554555444*', 'CLP*CLM-X12-UNBAL*')
      .replace('CAS*CO*A2*50.00', 'CAS*CO*A2*45.00');

    const answer = await postX12('/v1/remittances', text);
    await hub.waitForIdle();

    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([
      {
        path: 'segment:13 CLP',
        message: expect.stringContaining(
          'CLP03 800.00 − adjustments 345.00 (claim and service CAS) = 455.00, but CLP04 paid 450.00',
        ),
      },
    ]);
    expect(await itemCount(hub, 'WorkflowTable')).toBe(before);
  });

  it('answers 413 with the upload route for a body over 256 KB', async () => {
    const big = sample('linuxforhealth-1.835').replace('LX*1~', `LX*1~${'REF*ZZ*PADDING~'.repeat(20_000)}`);
    const answer = await postX12('/v1/remittances', big);
    expect(answer.status).toBe(413);
    expect(String(answer.body.detail)).toContain('/v1/remittance-uploads');
  });
});

describe('POST /v1/claim-statuses with a 277CA', () => {
  it('maps an A2 acceptance and an A7 rejection onto the claims they name (TRN02 = CLM01)', async () => {
    const accepted = await seedClaim('5781', 12_500);
    const rejected = await seedClaim('3920394930203', 19_914);
    await hub.waitForIdle();

    const a = await postX12('/v1/claim-statuses', sample('imsweb-1.277'));
    const r = await postX12('/v1/claim-statuses', sample('imsweb-2.277'));
    await hub.waitForIdle();

    expect(a.status, JSON.stringify(a.body)).toBe(202);
    expect(a.body.accepted).toEqual([
      expect.objectContaining({ claimId: '5781', status: 'accepted', encounterId: accepted }),
    ]);
    expect(r.body.accepted).toEqual([
      expect.objectContaining({ claimId: '3920394930203', status: 'rejected' }),
    ]);
    expect((await workflow(accepted)).state).toBe('payer_response_received');
    const view = await workflow(rejected);
    expect(view.state).toBe('exception_pending');
    expect(view.exceptions[0]?.reason).toContain('A7:562:85');
  });

  it('refuses linuxforhealth-1.277 for its wrong SE01 segment count', async () => {
    const answer = await postX12('/v1/claim-statuses', sample('linuxforhealth-1.277'));
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([
      {
        path: 'segment:40 SE',
        message: expect.stringContaining('SE01 says 36 segments but transaction 0001 has 38'),
      },
    ]);
  });
});
