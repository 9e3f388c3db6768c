import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { WorkflowStore } from '../../lambdas/adapters/dynamodb/workflow-store.js';
import {
  acceptRemittanceDocument,
  type DocumentContext,
  type X12Event,
} from '../../lambdas/adapters/x12/documents.js';
import { acceptRemittanceUpload } from '../../lambdas/adapters/x12/upload.js';
import { type EraDepositReceived, planEraDeposit } from '../../lambdas/core/era-deposit.js';
import { read835Text } from '../../lambdas/core/x12/remittance-835.js';
import { type RemittanceSpec, write835 } from '../../lambdas/core/x12/write-835.js';
import { generatedRemittance } from '../bench/x12-835.js';

/**
 * Issue #4: a 20,000-claim ERA (~15 MB) is read from storage as a stream — validated whole first, then
 * accepted in batches — and a broken one is refused before a single event is accepted.
 */
function fakeContext(known: (claimId: string) => boolean, payers: string[] = []) {
  const accepted: X12Event[] = [];
  const kept: unknown[] = [];
  const store = {
    findClaim: async (claimId: string) =>
      known(claimId)
        ? [
            {
              claimId,
              encounterId: `ENC-${claimId}`,
              facilityId: 'FAC',
              payerId: 'PAYER',
              invoiceIds: [],
              billedCents: 0,
            },
          ]
        : [],
    getWorkflow: async () => undefined,
    // The ERA names its payer (TRN03): no payer of the hub carries that id, so the claim's payer pays.
    getMasterRecord: async (kind: string, id: string) =>
      kind === 'payer' && payers.includes(id) ? { record: { payerId: id, name: id } } : undefined,
    keepUnmatched: async (entry: unknown) => {
      kept.push(entry);
    },
  } as unknown as WorkflowStore;
  const context: DocumentContext = {
    store,
    accept: async (events) => {
      accepted.push(...events);
      return events.map((_, i) => ({ id: `id-${accepted.length + i}` }));
    },
    clientId: 'client',
    idempotencyKey: 'upload:U1',
    correlationId: 'corr',
    now: () => '2026-11-30T12:00:00Z',
  };
  return { context, accepted, kept };
}

const written: string[] = [];
afterAll(() => {
  for (const dir of written.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function writeFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'x12-upload-'));
  written.push(dir);
  const file = join(dir, 'era.835');
  writeFileSync(file, text, 'latin1');
  return file;
}

const open = (file: string) => () =>
  createReadStream(file, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>;

describe('the large-file path', () => {
  it('streams a 20,000-claim ERA twice and accepts every claim payment in batches', async () => {
    // Prepare
    const file = writeFile([...write835(generatedRemittance(20_000), { lineBreak: '\n' })].join(''));
    const { context, accepted, kept } = fakeContext((id) => id !== 'CLM-000007');

    // Act
    const outcome = await acceptRemittanceUpload(open(file), context, { batchSize: 500 });

    // Assess
    expect(outcome).toMatchObject({
      status: 'accepted',
      claims: 20_000,
      accepted: 19_999,
      providerAdjustments: 1,
    });
    expect(outcome.bytes).toBeGreaterThan(14_000_000);
    expect(outcome.unmatched).toEqual([
      expect.objectContaining({ claimId: 'CLM-000007', path: expect.stringMatching(/^segment:\d+ CLP$/) }),
    ]);
    expect(kept).toEqual([
      expect.objectContaining({
        kind: 'remittance',
        claimId: 'CLM-000007',
        reason: expect.stringContaining('unknown to the hub'),
      }),
    ]);
    // No encounter: it goes to subscribers (billing), not to the Odoo queue.
    expect(accepted.filter((e) => e.eventType === 'ExceptionOpened' && e.encounter === undefined)).toEqual([
      expect.objectContaining({
        data: expect.objectContaining({
          key: 'unmatched:remittance:EFT20261130001:PCN0000000007',
          team: 'billing',
        }),
      }),
    ]);
    const remittances = accepted.filter((e) => e.eventType === 'RemittanceReceived');
    expect(remittances).toHaveLength(19_999);
    expect(new Set(remittances.map((e) => e.discriminator)).size).toBe(19_999);
    expect(accepted.filter((e) => e.eventType === 'ProviderAdjustmentReceived')).toHaveLength(1);
  });

  it('refuses a large ERA that does not balance before accepting anything', async () => {
    const spec = generatedRemittance(2_000);
    const broken = {
      ...spec,
      claims: spec.claims.map((c, i) => (i === 1_500 ? { ...c, paidCents: c.paidCents + 1 } : c)),
    };
    const file = writeFile([...write835(broken, { lineBreak: '\r\n' })].join(''));
    const { context, accepted } = fakeContext(() => true);

    const outcome = await acceptRemittanceUpload(open(file), context);

    expect(outcome.status).toBe('refused');
    expect(accepted).toEqual([]);
    expect(outcome.issues.map((i) => i.path)).toEqual([expect.stringMatching(/^segment:\d+ CLP$/)]);
    expect(outcome.issues[0]?.message).toContain('claim CLM-001500 does not balance');
  });

  it('books the deposit of an uploaded ERA exactly as POST /v1/remittances books the same 835 (issue 14)', async () => {
    // Prepare: 1,200 claims in batches of 250, one of them unknown to the hub; the inline path as the reference.
    const spec = generatedRemittance(1_200);
    const text = [...write835(spec, { lineBreak: '\n' })].join('');
    const file = writeFile(text);
    const upload = fakeContext((id) => id !== 'CLM-000007');
    const checked: X12Event[] = [];
    const inline = fakeContext((id) => id !== 'CLM-000007');

    // Act
    await acceptRemittanceUpload(open(file), upload.context, {
      batchSize: 250,
      check: async (events) => {
        checked.push(...events);
      },
    });
    await acceptRemittanceDocument(await read835Text(text), inline.context);

    // Assess: one deposit per ERA, claims counted rather than listed, the unplaced claim's money named.
    const deposits = (events: X12Event[]) =>
      events.filter((e) => e.eventType === 'EraDepositReceived').map((e) => e.data as EraDepositReceived);
    const [uploaded, ...more] = deposits(upload.accepted);
    const [posted] = deposits(inline.accepted);
    expect(more).toEqual([]);
    const paid = spec.claims.reduce((sum, c) => sum + c.paidCents, 0);
    const unknownPaid = spec.claims[7]?.paidCents ?? 0;
    expect(uploaded).toEqual({
      traceNumber: 'EFT20261130001',
      payerId: 'PAYER',
      date: '2026-11-30',
      method: 'ACH',
      depositCents: paid + 1_250,
      claimPayments: [],
      claimTotals: { claims: 1_200, paidCents: paid, interestCents: 0 },
      unplaced: { claims: 1, paidCents: unknownPaid },
      providerAdjustments: [{ reason: 'L6', amountCents: -1_250 }],
    });
    expect(posted?.unplaced).toEqual({ claims: 1, paidCents: unknownPaid });
    // The same entry and the same exceptions, line for line, whichever way the ERA arrived.
    const fromUpload = planEraDeposit(uploaded as EraDepositReceived);
    expect(fromUpload).toEqual(planEraDeposit(posted as EraDepositReceived));
    expect(fromUpload.exceptions).toEqual([
      expect.objectContaining({
        key: 'era-deposit:EFT20261130001:unplaced',
        team: 'finance',
        amountCents: unknownPaid,
      }),
    ]);
    // The uploader's entitlement covers the deposit too, in the validation pass, before anything is accepted.
    expect(deposits(checked)).toEqual([uploaded]);
  });

  it('books the deposit of an ERA none of whose claims it could place, against the payer the ERA names', async () => {
    // Prepare: N1*PR names the hub payer PAYER-NAMED; no claim of the ERA is known.
    const spec: RemittanceSpec = { ...generatedRemittance(3), payerId: 'PAYER-NAMED' };
    const text = [...write835(spec)].join('');
    const { context, accepted } = fakeContext(() => false, ['PAYER-NAMED']);

    // Act
    await acceptRemittanceDocument(await read835Text(text), context);

    // Assess
    const paid = spec.claims.reduce((sum, c) => sum + c.paidCents, 0);
    const deposit = accepted.find((e) => e.eventType === 'EraDepositReceived')?.data as EraDepositReceived;
    expect(deposit).toMatchObject({
      payerId: 'PAYER-NAMED',
      depositCents: paid + 1_250,
      unplaced: { claims: 3, paidCents: paid },
    });
    expect(planEraDeposit(deposit).exceptions).toEqual([
      {
        key: 'era-deposit:EFT20261130001:unplaced',
        team: 'finance',
        reason: expect.stringContaining('3 claims paying'),
        amountCents: paid,
      },
    ]);
  });

  it('opens a finance exception for the whole deposit when no claim is placed and the payer is unknown', async () => {
    // Prepare
    const spec: RemittanceSpec = { ...generatedRemittance(2), payerId: 'NOBODY' };
    const { context, accepted } = fakeContext(() => false);

    // Act
    await acceptRemittanceDocument(await read835Text([...write835(spec)].join('')), context);

    // Assess
    const paid = spec.claims.reduce((sum, c) => sum + c.paidCents, 0);
    expect(accepted.filter((e) => e.eventType === 'EraDepositReceived')).toEqual([]);
    expect(
      accepted.find((e) => e.discriminator === 'era-deposit:EFT20261130001:payer-unknown')?.data,
    ).toEqual({
      key: 'era-deposit:EFT20261130001:payer-unknown',
      team: 'finance',
      reason: expect.stringContaining('names payer NOBODY / 1999999999'),
      amountCents: paid + 1_250,
      sourceEventId: expect.any(String),
      traceNumber: 'EFT20261130001',
    });
  });
});
