import { afterEach, describe, expect, it } from 'vitest';
import type { Hub } from '../../local/runtime.js';
import {
  type EraClaim,
  type EraKind,
  eraBooks,
  eraClaims,
  eraPayerRequest,
  eraRemittanceRequest,
  eraSetupRequests,
  expectedEraAmounts,
  sendAll,
} from './support/era-scenario.js';
import { accessToken, apiCaller, odoo, startTestHub } from './support/hub.js';

// Issue 16: an ERA's claim payments booked by rounds in the ERA's FIFO group (core/era-booking.ts) — a number of
// Odoo RPCs that does not grow with the ERA, and the books the one-by-one path makes, claim by claim.

let hub: Hub | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});

interface EraRun {
  rpcs: number;
  calls: Record<string, number>;
  books: Awaited<ReturnType<typeof eraBooks>>;
  dlq: number;
  held: number;
}

async function sandboxStats(active: Hub, method: 'GET' | 'DELETE') {
  const response = await fetch(`${active.odooUrl}/__sandbox/stats`, { method });
  return (await response.json()) as { total: number; calls: Record<string, number> };
}

/** Seeds the claims' encounters, then sends their ERA (one trace) and counts the RPCs it costs Odoo. */
async function bookEra(eraBooking: string | undefined, claims: EraClaim[], trace: string): Promise<EraRun> {
  hub = await startTestHub({
    ...(eraBooking ? { eraBooking } : {}),
    odooWriteQueue: { retryDelaySeconds: 1 },
  });
  const active = hub;
  const call = apiCaller(active, await accessToken(active), `era-${trace}`);
  await sendAll(call, [eraPayerRequest()]);
  await active.waitForIdle();
  // A warm-up ERA of one claim per kind: the writer finds the chart and journal ids once per container.
  const warm = eraClaims(`${trace}W`, 3);
  const all = [...warm, ...claims];
  await sendAll(
    call,
    all.flatMap((c) => eraSetupRequests(c).first),
  );
  await sendAll(
    call,
    all.flatMap((c) => eraSetupRequests(c).then),
  );
  await active.waitForIdle();
  await sendAll(
    call,
    warm.map((c) => eraRemittanceRequest(c, `${trace}-WARM`)),
  );
  await active.waitForIdle();
  await sandboxStats(active, 'DELETE');
  await sendAll(
    call,
    claims.map((c) => eraRemittanceRequest(c, trace)),
  );
  await active.waitForIdle();
  const stats = await sandboxStats(active, 'GET');
  const rpc = <T>(model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}) =>
    odoo<T>(active, model, method, args, kwargs);
  const workflows = await Promise.all(
    claims.map(async (c) => (await call('GET', `/v1/workflows/${c.encounterId}`)).body),
  );
  return {
    rpcs: stats.total,
    calls: stats.calls,
    books: await eraBooks(rpc, claims),
    dlq: active.aws.sqs.messageCount(active.queueUrls.OdooWriteQueue?.dlqUrl as string),
    held: workflows.filter((w) => Array.isArray(w.held) && w.held.length > 0).length,
  };
}

describe('ERA booking: an ERA as one unit of Odoo work', () => {
  it('a 50-claim ERA of paid claims costs at most 0.2 RPCs per claim line, each claim booked once', async () => {
    const claims = eraClaims('P50', 50, ['paid'] as EraKind[]);
    const run = await bookEra('{"quietMs":1000}', claims, 'EFT-P50');
    for (const c of claims) expect(run.books.get(c.n), c.n).toMatchObject(expectedEraAmounts(c));
    expect(run.dlq).toBe(0);
    expect(run.held).toBe(0);
    expect(run.rpcs / claims.length, JSON.stringify(run.calls)).toBeLessThanOrEqual(0.2);
  }, 300_000);

  it('a mixed ERA (paid, CO-45, CO-45 + PR) books what the one-by-one path books, in a fixed number of RPCs', async () => {
    const claims = eraClaims('M30', 30);
    const byRound = await bookEra('{"quietMs":1000}', claims, 'EFT-M30');
    await hub?.close();
    hub = undefined;
    const oneByOne = await bookEra(undefined, claims, 'EFT-M30');
    for (const c of claims) {
      expect(byRound.books.get(c.n), c.n).toMatchObject(expectedEraAmounts(c));
      expect(byRound.books.get(c.n), c.n).toEqual(oneByOne.books.get(c.n));
    }
    expect(byRound.dlq + oneByOne.dlq).toBe(0);
    // One round: look-ups, payments, credit notes, patient invoices, the deposit search — not per claim.
    expect(byRound.rpcs, JSON.stringify(byRound.calls)).toBeLessThanOrEqual(16);
    expect(byRound.rpcs).toBeLessThan(oneByOne.rpcs / 2);
  }, 600_000);
});
