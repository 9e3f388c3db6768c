import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LEDGER_SETUP, ensureHubSetup } from '../../lambdas/adapters/odoo/accounts.js';
import type { Hub } from '../../local/runtime.js';
import {
  type ClaimBooks,
  type EraClaim,
  eraBooks,
  eraClaims,
  eraPayerRequest,
  expectedEraAmounts,
  sendAll,
  sendEra,
  setUpEraClaims,
} from '../integration/support/era-scenario.js';
import { accessToken, apiCaller, startTestHub } from '../integration/support/hub.js';
import { type OdooUnderTest, odooUnderTest } from './support/odoo-under-test.js';

/**
 * Conformance, issue 16: an ERA of claim payments of every kind (paid in full, CO-45 written off, CO-45 + PR moved
 * to the patient) booked by ERA rounds (core/era-booking.ts) and, on a second hub, one by one in each claim's turn
 * (`ODOO_ERA_BOOKING=off`), into whatever Odoo the ODOO_* variables name (the sandbox in `npm test`): the books
 * must be the same, claim by claim, as Odoo words them (payment states, invoice payment states, residuals).
 */
let odoo: OdooUnderTest;
const run = Date.now().toString(36).toUpperCase();

beforeAll(async () => {
  odoo = await odooUnderTest();
  const setup = await ensureHubSetup(odoo.reader, DEFAULT_LEDGER_SETUP);
  expect(setup.records.filter((r) => r.problem)).toEqual([]);
}, 300_000);

afterAll(async () => {
  await odoo?.close();
});

/** One ERA of these claims through a hub with this ERA booking setting; the books as finance reads them. */
async function bookEra(
  eraBooking: string,
  claims: EraClaim[],
  trace: string,
): Promise<Map<string, ClaimBooks>> {
  let hub: Hub | undefined;
  try {
    hub = await startTestHub({ odoo: odoo.hub, eraBooking, monitoring: { sweepIntervalSeconds: false } });
    const active = hub;
    const call = apiCaller(active, await accessToken(active), `erab-${trace}`);
    await sendAll(call, [eraPayerRequest()]);
    await setUpEraClaims(call, active, claims);
    await sendEra(call, active, claims, trace);
    expect(active.aws.sqs.messageCount(active.queueUrls.OdooWriteQueue?.dlqUrl as string)).toBe(0);
  } finally {
    await hub?.close();
  }
  const memoField = (await odoo.reader.dialect()).paymentMemoField;
  return eraBooks(
    (model, method, args, kwargs) => odoo.reader.call(model, method, args, kwargs),
    claims,
    memoField,
  );
}

describe('conformance: an ERA booked as one unit of Odoo work', () => {
  it('books what the one-by-one path books, claim by claim, to the cent and in the same states', async () => {
    const byRound = eraClaims(`R${run}`, 24);
    const oneByOne = eraClaims(`O${run}`, 24);
    const roundBooks = await bookEra('on', byRound, `EFT-R${run}`);
    const oneBooks = await bookEra('off', oneByOne, `EFT-O${run}`);
    const anonymous = (books: ClaimBooks | undefined) =>
      books && { ...books, patientInvoices: books.patientInvoices.map((p) => ({ ...p, partner: '' })) };
    byRound.forEach((c, i) => {
      const twin = oneByOne[i] as EraClaim;
      expect(roundBooks.get(c.n), c.n).toMatchObject(expectedEraAmounts(c));
      expect(oneBooks.get(twin.n), twin.n).toMatchObject(expectedEraAmounts(twin));
      expect(anonymous(roundBooks.get(c.n)), c.n).toEqual(anonymous(oneBooks.get(twin.n)));
    });
  });
});
