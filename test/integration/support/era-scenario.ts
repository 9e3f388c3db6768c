import { remittanceStepRefs } from '../../../lambdas/core/remittance-posting.js';
import type { ApiCall } from './hub.js';

/**
 * An ERA at scale through the JSON API (issue 16): encounters billed to one payer, then one claim payment per
 * encounter under one trace number, a third each paid in full, CO-45 written off, CO-45 + PR moved to the
 * patient. Shared by the ERA booking test, its conformance story and the ERA-size bench (the month-end bench
 * still builds its own requests: test/bench/month-end.ts).
 */
export type EraKind = 'paid' | 'co45' | 'co45-pr';
export const ERA_KINDS: EraKind[] = ['paid', 'co45', 'co45-pr'];

export interface EraClaim {
  n: string;
  encounterId: string;
  patientId: string;
  invoiceId: string;
  claimId: string;
  billedCents: number;
  kind: EraKind;
}

export interface ApiRequest {
  method: 'POST' | 'PUT';
  path: string;
  body: Record<string, unknown>;
}

export const ERA_PAYER = { id: 'PAYER-ERA-SCALE', name: 'Era Scale Health Plan', payerType: 'commercial' };
const dollars = (cents: number) => (cents / 100).toFixed(2);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function eraClaims(prefix: string, count: number, kinds: readonly EraKind[] = ERA_KINDS): EraClaim[] {
  return Array.from({ length: count }, (_, i) => {
    const n = `ES-${prefix}-${String(i).padStart(5, '0')}`;
    return {
      n,
      encounterId: `ENC-${n}`,
      patientId: `PAT-${n}`,
      invoiceId: `INV-${n}`,
      claimId: `CLM-${n}`,
      billedCents: 10_000 + (i % 90) * 125,
      kind: kinds[i % kinds.length] as EraKind,
    };
  });
}

export function eraPayerRequest(): ApiRequest {
  return {
    method: 'PUT',
    path: `/v1/payers/${ERA_PAYER.id}`,
    body: {
      name: ERA_PAYER.name,
      payerType: ERA_PAYER.payerType,
      sourceSystem: 'billing',
      sourceUpdatedAt: '2026-11-01T00:00:00Z',
    },
  };
}

/** Patient and charge first (the invoice's encounter), then invoice and claim: send the two lists in turn. */
export function eraSetupRequests(c: EraClaim): { first: ApiRequest[]; then: ApiRequest[] } {
  const base = { encounterId: c.encounterId, facilityId: 'FAC-ERA' };
  const line = { code: '99214', codeSystem: 'CPT' };
  return {
    first: [
      {
        method: 'PUT',
        path: `/v1/patients/${c.patientId}`,
        body: {
          name: `Patient ${c.n}`,
          birthDate: '1970-05-01',
          sourceSystem: 'ehr',
          sourceUpdatedAt: '2026-11-01T08:00:00Z',
        },
      },
      {
        method: 'POST',
        path: '/v1/charges',
        body: {
          chargeId: `CHG-${c.n}`,
          ...base,
          patientId: c.patientId,
          lines: [
            {
              ...line,
              units: 1,
              amount: dollars(c.billedCents),
              serviceDate: '2026-11-02',
              renderingProviderNpi: '1234567893',
            },
          ],
        },
      },
    ],
    then: [
      {
        method: 'POST',
        path: '/v1/invoices',
        body: {
          invoiceId: c.invoiceId,
          ...base,
          issueDate: '2026-11-02',
          currency: 'USD',
          billTo: { kind: 'payer', id: ERA_PAYER.id, name: ERA_PAYER.name },
          lines: [{ ...line, description: 'Office visit', quantity: 1, unitPrice: dollars(c.billedCents) }],
        },
      },
      {
        method: 'POST',
        path: '/v1/claims',
        body: {
          claimId: c.claimId,
          ...base,
          payerId: ERA_PAYER.id,
          invoiceIds: [c.invoiceId],
          billedAmount: dollars(c.billedCents),
          submittedDate: '2026-11-03',
        },
      },
    ],
  };
}

/** CO-45: 20 % of the billed amount; PR: $20.00 to the patient. */
export function eraAmounts(c: EraClaim): { paidCents: number; coCents: number; prCents: number } {
  const coCents = c.kind === 'paid' ? 0 : Math.round(c.billedCents * 0.2);
  const prCents = c.kind === 'co45-pr' ? 2_000 : 0;
  return { paidCents: c.billedCents - coCents - prCents, coCents, prCents };
}

export function eraRemittanceRequest(c: EraClaim, traceNumber: string): ApiRequest {
  const { paidCents, coCents, prCents } = eraAmounts(c);
  return {
    method: 'POST',
    path: '/v1/remittances',
    body: {
      remittanceId: `ERA-${c.n}`,
      claimId: c.claimId,
      encounterId: c.encounterId,
      facilityId: 'FAC-ERA',
      payerId: ERA_PAYER.id,
      payerClaimControlNumber: `PCN-${c.n}`,
      claimStatus: '1',
      billedAmount: dollars(c.billedCents),
      paidAmount: dollars(paidCents),
      adjustments: [
        ...(coCents ? [{ group: 'CO', reason: '45', amount: dollars(coCents) }] : []),
        ...(prCents ? [{ group: 'PR', reason: '1', amount: dollars(prCents) }] : []),
      ],
      payment: { traceNumber, method: 'ACH', date: '2026-11-30' },
    },
  };
}

/**
 * A day's patient payments (issue 16: booked by rounds of their day like an ERA's claim payments): each claim's
 * encounter billed to its patient instead of the payer (send `first`, then `then`), and its patient paying it
 * in full on `receivedDate`.
 */
export function patientInvoiceSetupRequests(c: EraClaim): { first: ApiRequest[]; then: ApiRequest[] } {
  const { first, then } = eraSetupRequests(c);
  const invoice = then[0] as ApiRequest;
  return {
    first,
    then: [
      {
        ...invoice,
        body: { ...invoice.body, billTo: { kind: 'patient', id: c.patientId, name: `Patient ${c.n}` } },
      },
    ],
  };
}

/** `paying`: another invoice of the encounter and its amount (a PR's patient invoice); the claim's own by default. */
export function patientPaymentRequest(
  c: EraClaim,
  receivedDate: string,
  paying: { invoiceId: string; cents: number } = { invoiceId: c.invoiceId, cents: c.billedCents },
): ApiRequest {
  return {
    method: 'POST',
    path: '/v1/payments',
    body: {
      paymentId: `PAY-${c.n}`,
      encounterId: c.encounterId,
      facilityId: 'FAC-ERA',
      payer: { kind: 'patient', id: c.patientId },
      amount: dollars(paying.cents),
      method: 'card',
      traceNumber: `ch_${c.n}`,
      receivedDate,
      appliesTo: { invoiceId: paying.invoiceId },
    },
  };
}

/**
 * What Odoo holds for each patient payment of these claims: its payments (by the marker `[rcm:pay:PAY-<n>]` in
 * `memoField`) and the patient invoice it paid.
 */
export async function patientPaymentBooks(
  rpc: Rpc,
  claims: readonly EraClaim[],
  memoField = 'ref',
): Promise<Map<string, Pick<ClaimBooks, 'payments' | 'invoice'>>> {
  const prefix = claims[0]?.n.slice(0, claims[0].n.lastIndexOf('-')) ?? '';
  const payments = await rpc<Array<Record<string, unknown>>>(
    'account.payment',
    'search_read',
    [[[memoField, 'ilike', `[rcm:pay:PAY-${prefix}`]]],
    { fields: [memoField, 'amount', 'state'] },
  );
  const invoices = await rpc<
    Array<{ ref: string | false; state: string; payment_state: string; amount_residual: number }>
  >(
    'account.move',
    'search_read',
    [
      [
        ['move_type', '=', 'out_invoice'],
        ['ref', 'in', claims.map((c) => c.invoiceId)],
      ],
    ],
    { fields: ['ref', 'state', 'payment_state', 'amount_residual'] },
  );
  return new Map(
    claims.map((c) => {
      const invoice = invoices.find((m) => m.ref === c.invoiceId);
      return [
        c.n,
        {
          payments: payments
            .filter((p) => String(p[memoField] ?? '').includes(`[rcm:pay:PAY-${c.n}]`))
            .map((p) => ({ amountCents: cents(p.amount as number), state: p.state as string })),
          invoice: invoice && {
            residualCents: cents(invoice.amount_residual),
            state: invoice.state,
            paymentState: invoice.payment_state,
          },
        },
      ];
    }),
  );
}

/** Runs `work` over the items through `clients` concurrent workers (a thousand at once reset connections). */
async function inParallel<T>(
  items: readonly T[],
  clients: number,
  work: (item: T, index: number) => Promise<void>,
) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(clients, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index] as T, index);
      }
    }),
  );
}

/** Sends requests through `clients` concurrent callers; a 429 or 5xx is retried with backoff. */
export async function sendAll(call: ApiCall, requests: readonly ApiRequest[], clients = 10): Promise<void> {
  await inParallel(requests, clients, async (request) => {
    for (let attempt = 0; ; attempt += 1) {
      const answer = await call(request.method, request.path, request.body);
      if (answer.status === 202 || answer.status === 200) return;
      if (attempt > 5) throw new Error(`${request.path}: ${answer.status} ${JSON.stringify(answer.body)}`);
      await sleep(200 * 2 ** attempt);
    }
  });
}

/** GETs these paths through the API, `clients` at a time, and answers their bodies in the paths' order. */
export async function readAll(
  call: ApiCall,
  paths: readonly string[],
  clients = 10,
): Promise<Array<Awaited<ReturnType<ApiCall>>['body']>> {
  const bodies: Array<Awaited<ReturnType<ApiCall>>['body']> = new Array(paths.length);
  await inParallel(paths, clients, async (path, index) => {
    bodies[index] = (await call('GET', path)).body;
  });
  return bodies;
}

/** Bills the claims through the API (the second wave needs what the first made), then waits for the hub. */
export async function setUpEraClaims(
  call: ApiCall,
  hub: { waitForIdle(): Promise<void> },
  claims: readonly EraClaim[],
): Promise<void> {
  await sendAll(
    call,
    claims.flatMap((c) => eraSetupRequests(c).first),
  );
  await sendAll(
    call,
    claims.flatMap((c) => eraSetupRequests(c).then),
  );
  await hub.waitForIdle();
}

/** Bills each claim's encounter to its patient (`patientInvoiceSetupRequests`), then waits for the hub. */
export async function setUpPatientInvoices(
  call: ApiCall,
  hub: { waitForIdle(): Promise<void> },
  claims: readonly EraClaim[],
): Promise<void> {
  for (const wave of ['first', 'then'] as const)
    await sendAll(
      call,
      claims.flatMap((c) => patientInvoiceSetupRequests(c)[wave]),
    );
  await hub.waitForIdle();
}

/** Sends the claims' payments as one ERA under `traceNumber`, then waits for the hub. */
export async function sendEra(
  call: ApiCall,
  hub: { waitForIdle(): Promise<void> },
  claims: readonly EraClaim[],
  traceNumber: string,
): Promise<void> {
  await sendAll(
    call,
    claims.map((c) => eraRemittanceRequest(c, traceNumber)),
  );
  await hub.waitForIdle();
}

type Rpc = <T>(
  model: string,
  method: string,
  args: unknown[],
  kwargs?: Record<string, unknown>,
) => Promise<T>;

/** What Odoo holds for one claim payment: amounts in cents, states as Odoo words them. */
export interface ClaimBooks {
  payments: Array<{ amountCents: number; state: string }>;
  invoice: { residualCents: number; state: string; paymentState: string } | undefined;
  creditNotes: Array<{ totalCents: number; residualCents: number; state: string }>;
  patientInvoices: Array<{ totalCents: number; residualCents: number; state: string; partner: string }>;
}

const cents = (amount: number) => Math.round(amount * 100);

/**
 * The books of these claims, read from Odoo by the administrator (not through the hub): each claim's payments
 * (by its step marker in the memo, `memoField`: `ref` on 17, `memo` on 19), its payer invoice, its PR credit
 * note and patient invoice.
 */
export async function eraBooks(
  rpc: Rpc,
  claims: readonly EraClaim[],
  memoField = 'ref',
): Promise<Map<string, ClaimBooks>> {
  const books = new Map<string, ClaimBooks>();
  const prefix = claims[0]?.n.slice(0, claims[0].n.lastIndexOf('-')) ?? '';
  const payments = await rpc<Array<Record<string, unknown>>>(
    'account.payment',
    'search_read',
    [[[memoField, 'ilike', prefix]]],
    { fields: [memoField, 'amount', 'state'] },
  );
  const moves = await rpc<
    Array<{
      ref: string | false;
      invoice_origin: string | false;
      move_type: string;
      state: string;
      payment_state: string;
      amount_total: number;
      amount_residual: number;
      partner_id: [number, string] | false;
    }>
  >('account.move', 'search_read', [['|', ['ref', 'ilike', prefix], ['invoice_origin', 'ilike', prefix]]], {
    fields: [
      'ref',
      'invoice_origin',
      'move_type',
      'state',
      'payment_state',
      'amount_total',
      'amount_residual',
      'partner_id',
    ],
  });
  for (const c of claims) {
    const refs = remittanceStepRefs(`ERA-${c.n}`);
    const invoice = moves.find((m) => m.move_type === 'out_invoice' && m.ref === c.invoiceId);
    books.set(c.n, {
      payments: payments
        .filter((p) => String(p[memoField] ?? '').includes(`[${refs.payment}]`))
        .map((p) => ({ amountCents: cents(p.amount as number), state: p.state as string })),
      invoice: invoice && {
        residualCents: cents(invoice.amount_residual),
        state: invoice.state,
        paymentState: invoice.payment_state,
      },
      creditNotes: moves
        .filter((m) => m.move_type === 'out_refund' && m.ref === refs.prCredit)
        .map((m) => ({
          totalCents: cents(m.amount_total),
          residualCents: cents(m.amount_residual),
          state: m.state,
        })),
      patientInvoices: moves
        .filter((m) => m.move_type === 'out_invoice' && m.invoice_origin === refs.prInvoice)
        .map((m) => ({
          totalCents: cents(m.amount_total),
          residualCents: cents(m.amount_residual),
          state: m.state,
          partner: m.partner_id ? m.partner_id[1] : '',
        })),
    });
  }
  return books;
}

/**
 * The amounts the posting rules call for (docs/posting-rules.md), for `toMatchObject` against `eraBooks`: one
 * payment of the paid amount (CO-45 its write-off), the payer invoice settled, a PR credit note applied and a
 * patient invoice open for the PR. States are compared with the one-by-one path's, which Odoo versions word
 * differently.
 */
export function expectedEraAmounts(c: EraClaim) {
  const { paidCents, prCents } = eraAmounts(c);
  return {
    payments: [{ amountCents: paidCents }],
    invoice: { residualCents: 0 },
    creditNotes: prCents ? [{ totalCents: prCents, residualCents: 0 }] : [],
    patientInvoices: prCents
      ? [{ totalCents: prCents, residualCents: prCents, partner: `Patient ${c.n}` }]
      : [],
  };
}
