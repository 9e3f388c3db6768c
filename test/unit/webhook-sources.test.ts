import { describe, expect, it } from 'vitest';
import {
  encounterFromNarration,
  mapClearinghouse,
  mapGateway,
  mapOdooRecord,
  type OdooRecord,
  parseOdooHint,
} from '../../lambdas/core/webhooks/sources.js';
import { subscriberUrlProblem } from '../../lambdas/core/webhooks/subscriptions.js';

/** Issue #5: what each source's payload becomes; what cannot be mapped is quarantined, never dropped. */
const status = {
  statusId: 'ST-1',
  claimId: 'CLM-1',
  encounterId: 'ENC-1',
  facilityId: 'FAC-1',
  status: 'denied',
  payerCodes: [{ category: 'F2', code: '96' }],
  effectiveDate: '2026-11-04',
};
const payment = {
  paymentId: 'PAY-1',
  encounterId: 'ENC-1',
  facilityId: 'FAC-1',
  payer: { kind: 'patient', id: 'PAT-1' },
  amount: '25.00',
  method: 'card',
  traceNumber: 'ch_1',
  receivedDate: '2026-11-20',
  appliesTo: { invoiceId: 'INV-1-PR' },
};
const odooPayment = (
  overrides: Partial<Extract<OdooRecord, { model: 'account.payment' }>> = {},
): OdooRecord => ({
  model: 'account.payment',
  id: 7,
  name: 'PBNK1/2026/00007',
  state: 'posted',
  paymentType: 'inbound',
  partnerType: 'customer',
  amountCents: 4000,
  date: '2026-11-21',
  memo: 'check 1234',
  invoices: [{ id: 3, ref: 'INV-1', narration: '<p>rcm-hub encounter ENC-1 facility FAC-1</p>' }],
  ...overrides,
});

describe('clearinghouse webhooks', () => {
  it('a claim.status becomes ClaimStatusChanged, keyed by the status id', () => {
    // Act
    const mapping = mapClearinghouse(JSON.stringify({ id: 'd1', type: 'claim.status', data: status }));

    // Assess
    expect(mapping).toMatchObject({
      kind: 'events',
      businessKey: 'claim-status:ST-1',
      events: [
        {
          eventType: 'ClaimStatusChanged',
          encounter: { encounterId: 'ENC-1', facilityId: 'FAC-1' },
          partitionKey: 'ENC-1',
        },
      ],
    });
  });

  it.each([
    ['not JSON', '{"id":'],
    ['an unknown type', JSON.stringify({ id: 'd1', type: 'claim.pended', data: status })],
    [
      'a status outside the contract',
      JSON.stringify({ id: 'd1', type: 'claim.status', data: { ...status, status: 'lost' } }),
    ],
  ])('%s is quarantined', (_name, body) => {
    expect(mapClearinghouse(body).kind).toBe('quarantine');
  });
});

describe('payment gateway webhooks', () => {
  it('payment.succeeded becomes PaymentReceived in cents', () => {
    // Act
    const mapping = mapGateway(JSON.stringify({ id: 'evt_1', type: 'payment.succeeded', data: payment }));

    // Assess
    expect(mapping.kind).toBe('events');
    if (mapping.kind !== 'events') return;
    expect(mapping.businessKey).toBe('payment:PAY-1');
    expect(mapping.events[0]?.data).toMatchObject({ paymentId: 'PAY-1', amountCents: 2500 });
  });

  it('payment.refunded becomes PaymentRefunded, keyed by the refund id', () => {
    // Act
    const mapping = mapGateway(
      JSON.stringify({
        id: 'evt_2',
        type: 'payment.refunded',
        data: {
          refundId: 'RF-1',
          paymentId: 'PAY-1',
          encounterId: 'ENC-1',
          facilityId: 'FAC-1',
          amount: '25.00',
          refundedDate: '2026-11-22',
        },
      }),
    );

    // Assess
    expect(mapping).toMatchObject({
      kind: 'events',
      businessKey: 'refund:RF-1',
      events: [{ eventType: 'PaymentRefunded', data: { amountCents: 2500, paymentId: 'PAY-1' } }],
    });
  });

  it('a dispute (a type we do not map yet) is quarantined for a person', () => {
    expect(mapGateway(JSON.stringify({ id: 'evt_3', type: 'payment.disputed', data: {} })).kind).toBe(
      'quarantine',
    );
  });
});

describe("Odoo's own webhooks", () => {
  it('take only the model and id from the hint; other models are ignored, garbage quarantined', () => {
    expect(parseOdooHint(JSON.stringify({ _action: 'a', _id: 7, _model: 'account.payment', id: 7 }))).toEqual(
      {
        ok: true,
        hint: { model: 'account.payment', id: 7 },
      },
    );
    expect(parseOdooHint(JSON.stringify({ _id: 7, _model: 'res.partner' }))).toMatchObject({
      kind: 'ignored',
    });
    expect(parseOdooHint('[]')).toMatchObject({ kind: 'quarantine' });
  });

  it('a posted payment entered by hand becomes OdooEntryRecorded for the encounter of its invoice', () => {
    // Act
    const mapping = mapOdooRecord(odooPayment());

    // Assess
    expect(mapping).toMatchObject({
      kind: 'events',
      businessKey: 'odoo:account.payment:7',
      events: [
        {
          eventType: 'OdooEntryRecorded',
          data: { kind: 'payment', invoiceId: 'INV-1', encounterId: 'ENC-1', amountCents: 4000 },
        },
      ],
    });
  });

  it.each([
    ['the hub booked it (memo marker)', odooPayment({ memo: 'ach TRN [rcm:pay:PAY-1]' })],
    ['it is still a draft (Odoo fires before commit)', odooPayment({ state: 'draft' })],
    ['it is an outbound payment', odooPayment({ paymentType: 'outbound' })],
    ['it is not reconciled with an invoice yet', odooPayment({ invoices: [] })],
    ['the record does not exist (rolled back)', undefined],
  ])('a payment is ignored when %s', (_name, record) => {
    expect(mapOdooRecord(record).kind).toBe('ignored');
  });

  it('a payment on an invoice the hub does not know is quarantined (cannot map to an encounter)', () => {
    expect(mapOdooRecord(odooPayment({ invoices: [{ id: 9, ref: 'MANUAL-1', narration: '' }] })).kind).toBe(
      'quarantine',
    );
  });

  it('a posted credit note made by hand maps; the hub’s own (ref rcm:…) is ignored', () => {
    // Prepare
    const creditNote: OdooRecord = {
      model: 'account.move',
      id: 11,
      state: 'posted',
      moveType: 'out_refund',
      ref: 'Reversal of: INV/2026/00003',
      amountCents: 1500,
      date: '2026-11-22',
      invoices: [{ id: 3, ref: 'INV-1', narration: 'rcm-hub encounter ENC-1 facility FAC-1' }],
    };

    // Act / Assess
    expect(mapOdooRecord(creditNote)).toMatchObject({
      kind: 'events',
      events: [{ data: { kind: 'creditNote' } }],
    });
    expect(mapOdooRecord({ ...creditNote, ref: 'rcm:era:R1:co45' }).kind).toBe('ignored');
  });

  it('reads the encounter from the narration the hub writes on its invoices (HTML or text)', () => {
    expect(encounterFromNarration('<p>rcm-hub encounter ENC-9 facility FAC-2</p>')).toEqual({
      encounterId: 'ENC-9',
      facilityId: 'FAC-2',
    });
    expect(encounterFromNarration('thank you')).toBeUndefined();
  });
});

describe('subscriber URLs', () => {
  it.each([
    ['https://partner.example.com/hooks', 'prod', undefined],
    ['http://partner.example.com/hooks', 'prod', 'must be https'],
    ['http://127.0.0.1:9999/hooks', 'prod', 'must be https'],
    ['http://127.0.0.1:9999/hooks', 'local', undefined],
    ['http://localhost/hooks', 'local', undefined],
    ['http://10.0.0.5/hooks', 'local', 'must be https (or http to a loopback address locally)'],
    ['https://user:pw@partner.example.com/', 'prod', 'must not carry credentials'],
    ['not a url', 'prod', 'must be an absolute URL'],
  ])('%s in %s → %s', (url, stage, expected) => {
    expect(subscriberUrlProblem(url, stage)).toBe(expected);
  });
});
