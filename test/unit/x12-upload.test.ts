import { createReadStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { WorkflowStore } from '../../lambdas/adapters/dynamodb/workflow-store.js';
import type { DocumentContext, X12Event } from '../../lambdas/adapters/x12/documents.js';
import { acceptRemittanceUpload } from '../../lambdas/adapters/x12/upload.js';
import { write835 } from '../../lambdas/core/x12/write-835.js';
import { generatedRemittance } from '../bench/x12-835.js';

/**
 * Issue #4: a 20,000-claim ERA (~15 MB) is read from storage as a stream — validated whole first, then
 * accepted in batches — and a broken one is refused before a single event is accepted.
 */
function fakeContext(known: (claimId: string) => boolean) {
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
    getMasterRecord: async () => undefined,
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

function writeFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'x12-upload-')), 'era.835');
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
});
