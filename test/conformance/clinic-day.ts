import { denialWriteOffRef } from '../../lambdas/core/denial-write-off.js';
import { exceptionIdFor } from '../../lambdas/core/exceptions.js';
import type { OdooAccountRole } from '../../lambdas/core/posting-plan.js';
import { patientInvoiceId, remittanceStepRefs } from '../../lambdas/core/remittance-posting.js';

/**
 * A clinic day as the billing system, the clearinghouse and the payment gateway send it, one story per
 * posting rule, with what finance must find in Odoo afterwards, to the cent. Dates are all in `year`, one
 * no entry of the database has used yet, so every journal's first number of the year is raced for.
 */
export type Case =
  | 'paid'
  | 'co45-write-off'
  | 'pr-and-patient-pays'
  | 'zero-pay-deductible'
  | 'denied'
  | 'reversal-and-correction'
  | 'oa-pi'
  | 'billed-differs'
  | 'reversal-after-patient-payment'
  | 'denied-line-open'
  | 'denied-line-written-off'
  | 'denial-written-off';

export const CASES: Case[] = [
  'paid',
  'co45-write-off',
  'pr-and-patient-pays',
  'zero-pay-deductible',
  'denied',
  'reversal-and-correction',
  'oa-pi',
  'billed-differs',
  'reversal-after-patient-payment',
  'denied-line-open',
  'denied-line-written-off',
  'denial-written-off',
];

export interface Request {
  method: 'POST' | 'PUT';
  path: string;
  body: Record<string, unknown>;
  key: string;
  /** Sent only once the other requests of its encounter were delivered (a reversal after what it reverses). */
  phase: number;
  /**
   * A person's action rather than a partner's delivery (resolving an exception): answered 200 once, 409 for a
   * redelivery of an exception already resolved. Partner deliveries are answered 202.
   */
  personAction?: boolean;
}

/** A posted entry finance expects, by what identifies it in Odoo. */
export interface ExpectedBooks {
  payerInvoice: {
    ref: string;
    totalCents: number;
    residualCents: number;
    paymentStates: string[];
    date: string;
  };
  /** Credit notes on the payer invoice still in force (not reversed), by account code, with their date. */
  creditNotes: Array<{
    accountRole: OdooAccountRole;
    amountCents: number;
    date: string;
  }>;
  patientInvoice?: { ref: string; totalCents: number; residualCents: number; date: string };
  /** Payments in force (posted), by step ref marker, with amount, date and write-off (on its account role). */
  payments: Array<{
    marker: string;
    amountCents: number;
    date: string;
    writeOffCents: number;
    writeOffRole?: OdooAccountRole;
  }>;
  /** Payments the hub booked and then undid (cancelled on 17). */
  undonePayments: string[];
}

export interface Story {
  kind: Case;
  encounterId: string;
  patientId: string;
  requests: Request[];
  books: ExpectedBooks;
  /** The exception a person resolves in this story, whose resolution date dates the write-off. */
  resolvedException?: string;
  workflow: { state: string; openExceptions: number; billedCents: number; patientBalanceCents: number };
}

const PAYERS = [
  { id: 'PAYER-CONF-ACME', name: 'Acme Health Plan', payerType: 'commercial' },
  { id: 'PAYER-CONF-MCR', name: 'Medicare Part B', payerType: 'medicare' },
  { id: 'PAYER-CONF-MCD', name: 'State Medicaid', payerType: 'medicaid' },
] as const;

const dollars = (cents: number) => (cents / 100).toFixed(2);
const adjustment = (group: string, reason: string, cents: number) => ({
  group,
  reason,
  amount: dollars(cents),
});

/** The date of a write-off a person approved: the day they resolved the exception (read back from the register). */
export const ON_RESOLUTION = 'on-resolution';

export function clinicDay(run: string, year: number, encounters: number): Story[] {
  return Array.from({ length: encounters }, (_, i) =>
    story(run, year, i + 1, CASES[i % CASES.length] as Case),
  );
}

function story(run: string, year: number, index: number, kind: Case): Story {
  const n = `${run}-${String(index).padStart(3, '0')}`;
  const encounterId = `ENC-CONF-${n}`;
  const patientId = `PAT-CONF-${n}`;
  const payer = PAYERS[index % PAYERS.length] as (typeof PAYERS)[number];
  const invoiceId = `INV-CONF-${n}`;
  const claimId = `CLM-CONF-${n}`;
  const billed = 20_000 + index * 1_075;
  const co = Math.round(billed * 0.2);
  const serviceDate = `${year}-03-02`;
  const invoiceDate = `${year}-03-03`;
  const base = { encounterId, facilityId: 'FAC-CONF' };
  const requests: Request[] = [
    {
      method: 'PUT',
      path: `/v1/patients/${patientId}`,
      body: {
        name: `Conformance Patient ${n}`,
        birthDate: '1980-01-15',
        sourceSystem: 'ehr',
        sourceUpdatedAt: `${year}-03-01T08:00:00Z`,
      },
      key: `pat-${n}`,
      phase: 0,
    },
    {
      method: 'PUT',
      path: `/v1/payers/${payer.id}`,
      body: {
        name: payer.name,
        payerType: payer.payerType,
        sourceSystem: 'billing',
        sourceUpdatedAt: `${year}-01-01T00:00:00Z`,
      },
      key: `payer-${payer.id}-${n}`,
      phase: 0,
    },
    {
      method: 'POST',
      path: '/v1/charges',
      body: {
        chargeId: `CHG-CONF-${n}`,
        ...base,
        patientId,
        lines: [
          {
            code: '99214',
            codeSystem: 'CPT',
            units: 1,
            amount: dollars(billed),
            serviceDate,
            renderingProviderNpi: '1234567893',
          },
        ],
      },
      key: `chg-${n}`,
      phase: 0,
    },
    {
      method: 'POST',
      path: '/v1/invoices',
      body: {
        invoiceId,
        ...base,
        issueDate: invoiceDate,
        currency: 'USD',
        billTo: { kind: 'payer', id: payer.id, name: payer.name },
        lines: [
          {
            code: '99214',
            codeSystem: 'CPT',
            description: 'Office visit, established patient',
            quantity: 1,
            unitPrice: dollars(billed),
          },
        ],
      },
      key: `inv-${n}`,
      phase: 0,
    },
    {
      method: 'POST',
      path: '/v1/claims',
      body: {
        claimId,
        ...base,
        payerId: payer.id,
        invoiceIds: [invoiceId],
        billedAmount: dollars(billed),
        submittedDate: invoiceDate,
      },
      key: `clm-${n}`,
      phase: 0,
    },
  ];
  const eraDate = (suffix: string) =>
    `${year}-${suffix === '1' ? '04-14' : suffix === '2' ? '05-12' : '06-09'}`;
  const remittance = (
    suffix: string,
    claimStatus: string,
    paid: number,
    adjustments: ReturnType<typeof adjustment>[],
    options: { sign?: number; billedCents?: number; phase?: number } = {},
  ): Request => {
    const sign = options.sign ?? 1;
    return {
      method: 'POST',
      path: '/v1/remittances',
      body: {
        remittanceId: `ERA-CONF-${n}-${suffix}`,
        claimId,
        ...base,
        payerId: payer.id,
        payerClaimControlNumber: `PCCN-${n}`,
        claimStatus,
        billedAmount: dollars(sign * (options.billedCents ?? billed)),
        paidAmount: dollars(sign * paid),
        adjustments,
        payment: { traceNumber: `TRN-${n}-${suffix}`, method: 'ACH', date: eraDate(suffix) },
      },
      key: `era-${n}-${suffix}`,
      phase: options.phase ?? 0,
    };
  };
  const marker = (suffix: string) => remittanceStepRefs(`ERA-CONF-${n}-${suffix}`).payment;
  const resolveNotRecoverable = (key: string, phase: number): Request => ({
    method: 'POST',
    path: `/v1/exceptions/${exceptionIdFor(encounterId, key)}/resolve`,
    body: { note: 'Appeal window closed; not recoverable', outcome: 'not-recoverable' },
    key: `resolve-${n}`,
    phase,
    personAction: true,
  });
  const patientPayment = (amount: number, patientInvoice: string, phase = 0): Request => ({
    method: 'POST',
    path: '/v1/payments',
    body: {
      paymentId: `PAY-CONF-${n}`,
      ...base,
      payer: { kind: 'patient', id: patientId },
      amount: dollars(amount),
      method: 'card',
      traceNumber: `ch_${n}`,
      receivedDate: `${year}-05-02`,
      appliesTo: { invoiceId: patientInvoice },
    },
    key: `pay-${n}`,
    phase,
  });

  const books: ExpectedBooks = {
    payerInvoice: {
      ref: invoiceId,
      totalCents: billed,
      residualCents: 0,
      paymentStates: ['paid'],
      date: invoiceDate,
    },
    creditNotes: [],
    payments: [],
    undonePayments: [],
  };
  const workflow = {
    state: 'payment_posted',
    openExceptions: 0,
    billedCents: billed,
    patientBalanceCents: 0,
  };
  switch (kind) {
    case 'paid':
      requests.push(remittance('1', '1', billed, []));
      books.payments.push({ marker: marker('1'), amountCents: billed, date: eraDate('1'), writeOffCents: 0 });
      break;
    case 'co45-write-off':
      requests.push(remittance('1', '1', billed - co, [adjustment('CO', '45', co)]));
      books.payments.push({
        marker: marker('1'),
        amountCents: billed - co,
        date: eraDate('1'),
        writeOffCents: co,
      });
      break;
    case 'pr-and-patient-pays': {
      const deductible = 3_000;
      requests.push(
        remittance('1', '1', billed - co - deductible, [
          adjustment('CO', '45', co),
          adjustment('PR', '1', deductible),
        ]),
      );
      const patientInvoice = patientInvoiceId(invoiceId, `ERA-CONF-${n}-1`);
      requests.push(patientPayment(deductible, patientInvoice));
      books.creditNotes.push({
        accountRole: 'patientResponsibilityTransfer',
        amountCents: deductible,
        date: eraDate('1'),
      });
      books.patientInvoice = {
        ref: patientInvoice,
        totalCents: deductible,
        residualCents: 0,
        date: eraDate('1'),
      };
      books.payments.push(
        { marker: marker('1'), amountCents: billed - co - deductible, date: eraDate('1'), writeOffCents: co },
        { marker: `rcm:pay:PAY-CONF-${n}`, amountCents: deductible, date: `${year}-05-02`, writeOffCents: 0 },
      );
      break;
    }
    case 'zero-pay-deductible': {
      requests.push(
        remittance('1', '1', 0, [adjustment('CO', '45', co), adjustment('PR', '1', billed - co)]),
      );
      const patientInvoice = patientInvoiceId(invoiceId, `ERA-CONF-${n}-1`);
      // Issue 14: the CO-45 write-off rides on a 0.00 payment (the ERA's own zero payment), so Odoo reads the
      // invoice `paid`; closed by two credit notes it read `reversed`, as if the bill had been cancelled.
      books.creditNotes.push({
        accountRole: 'patientResponsibilityTransfer',
        amountCents: billed - co,
        date: eraDate('1'),
      });
      books.payments.push({ marker: marker('1'), amountCents: 0, date: eraDate('1'), writeOffCents: co });
      books.patientInvoice = {
        ref: patientInvoice,
        totalCents: billed - co,
        residualCents: billed - co,
        date: eraDate('1'),
      };
      workflow.patientBalanceCents = billed - co;
      break;
    }
    case 'denied':
      requests.push(remittance('1', '4', 0, [adjustment('CO', '50', billed)]));
      books.payerInvoice = { ...books.payerInvoice, residualCents: billed, paymentStates: ['not_paid'] };
      Object.assign(workflow, { state: 'exception_pending', openExceptions: 1 });
      break;
    case 'reversal-and-correction':
      requests.push(
        remittance('1', '1', billed - co, [adjustment('CO', '45', co)]),
        remittance('2', '22', billed - co, [adjustment('CO', '45', -co)], { sign: -1, phase: 1 }),
        remittance('3', '1', billed - 1_000, [adjustment('CO', '45', 1_000)], { phase: 2 }),
      );
      books.payments.push({
        marker: marker('3'),
        amountCents: billed - 1_000,
        date: eraDate('3'),
        writeOffCents: 1_000,
      });
      books.undonePayments.push(marker('1'));
      break;
    case 'oa-pi': {
      // Issue 14: by reason code class — OA-94 (processed in excess of charges) is contractual and rides on
      // the write-off with CO-45; OA-121 goes to other adjustments, PI-104 to payer-initiated reductions.
      const oa94 = 400;
      const oa = 700;
      const pi = 300;
      requests.push(
        remittance('1', '1', billed - co - oa94 - oa - pi, [
          adjustment('CO', '45', co),
          adjustment('OA', '94', oa94),
          adjustment('OA', '121', oa),
          adjustment('PI', '104', pi),
        ]),
      );
      books.creditNotes.push(
        { accountRole: 'otherAdjustments', amountCents: oa, date: eraDate('1') },
        { accountRole: 'payerInitiatedReductions', amountCents: pi, date: eraDate('1') },
      );
      books.payments.push({
        marker: marker('1'),
        amountCents: billed - co - oa94 - oa - pi,
        date: eraDate('1'),
        writeOffCents: co + oa94,
      });
      break;
    }
    case 'billed-differs':
      // The payer adjudicated 5.00 less than the invoice says: CO-45 as a credit note, the 5.00 left open on
      // the invoice, and billing told of the difference.
      requests.push(
        remittance('1', '1', billed - 500 - co, [adjustment('CO', '45', co)], { billedCents: billed - 500 }),
      );
      books.payerInvoice = { ...books.payerInvoice, residualCents: 500, paymentStates: ['partial'] };
      books.creditNotes.push({ accountRole: 'contractualAdjustments', amountCents: co, date: eraDate('1') });
      books.payments.push({
        marker: marker('1'),
        amountCents: billed - 500 - co,
        date: eraDate('1'),
        writeOffCents: 0,
      });
      Object.assign(workflow, { state: 'exception_pending', openExceptions: 1 });
      break;
    case 'reversal-after-patient-payment': {
      const deductible = 2_500;
      requests.push(
        remittance('1', '1', billed - co - deductible, [
          adjustment('CO', '45', co),
          adjustment('PR', '1', deductible),
        ]),
      );
      const patientInvoice = patientInvoiceId(invoiceId, `ERA-CONF-${n}-1`);
      requests.push(
        patientPayment(deductible, patientInvoice, 1),
        remittance(
          '2',
          '22',
          billed - co - deductible,
          [adjustment('CO', '45', -co), adjustment('PR', '1', -deductible)],
          {
            sign: -1,
            phase: 2,
          },
        ),
      );
      // Everything the remittance booked is undone: the payer invoice owes its total again, the patient
      // invoice is reversed, and the patient's payment stays with the patient as an unapplied credit (the
      // hub's view shows it as a negative patient balance: 25.00 to refund or apply).
      books.payerInvoice = { ...books.payerInvoice, residualCents: billed, paymentStates: ['not_paid'] };
      books.patientInvoice = {
        ref: patientInvoice,
        totalCents: deductible,
        residualCents: 0,
        date: eraDate('1'),
      };
      books.payments.push({
        marker: `rcm:pay:PAY-CONF-${n}`,
        amountCents: deductible,
        date: `${year}-05-02`,
        writeOffCents: 0,
      });
      books.undonePayments.push(marker('1'));
      workflow.patientBalanceCents = -deductible;
      break;
    }
    case 'denied-line-open': {
      // Issue 14: a paid claim with a CO-16 line (lacks information). Before, the CO-16 was written off with the
      // CO-45 as contractual and the invoice read paid; now the 40.00 stays receivable (partial) and billing
      // holds an open `denied-lines` exception to correct and resubmit.
      const denied = 4_000;
      requests.push(
        remittance('1', '1', billed - co - denied, [
          adjustment('CO', '45', co),
          adjustment('CO', '16', denied),
        ]),
      );
      books.payerInvoice = { ...books.payerInvoice, residualCents: denied, paymentStates: ['partial'] };
      books.creditNotes.push({ accountRole: 'contractualAdjustments', amountCents: co, date: eraDate('1') });
      books.payments.push({
        marker: marker('1'),
        amountCents: billed - co - denied,
        date: eraDate('1'),
        writeOffCents: 0,
      });
      Object.assign(workflow, { state: 'exception_pending', openExceptions: 1 });
      break;
    }
    case 'denied-line-written-off': {
      // Issue 14: line 2 of a paid claim denied CO-50 (not medically necessary). The denied amount stays open on
      // the payer invoice (CO-45 is a credit note, since the payment cannot close it) until billing resolves
      // the exception as not recoverable; then a 0.00 payment writes it off to the denial account and closes it.
      const denied = 2_500;
      const key = `era:ERA-CONF-${n}-1:denied-lines`;
      requests.push(
        remittance('1', '1', billed - co - denied, [
          adjustment('CO', '45', co),
          adjustment('CO', '50', denied),
        ]),
        resolveNotRecoverable(key, 1),
      );
      books.creditNotes.push({ accountRole: 'contractualAdjustments', amountCents: co, date: eraDate('1') });
      books.payments.push(
        { marker: marker('1'), amountCents: billed - co - denied, date: eraDate('1'), writeOffCents: 0 },
        {
          marker: denialWriteOffRef(exceptionIdFor(encounterId, key)),
          amountCents: 0,
          date: ON_RESOLUTION,
          writeOffCents: denied,
          writeOffRole: 'deniedClaims',
        },
      );
      break;
    }
    case 'denial-written-off': {
      // Issue 14: a whole claim denied CO-29 (timely filing), resolved by billing as not recoverable.
      const key = `era:ERA-CONF-${n}-1:denied`;
      requests.push(remittance('1', '4', 0, [adjustment('CO', '29', billed)]), resolveNotRecoverable(key, 1));
      books.payments.push({
        marker: denialWriteOffRef(exceptionIdFor(encounterId, key)),
        amountCents: 0,
        date: ON_RESOLUTION,
        writeOffCents: billed,
        writeOffRole: 'deniedClaims',
      });
      break;
    }
  }
  const resolvedException = requests.find((r) => r.personAction)?.path.split('/')[3];
  return {
    kind,
    encounterId,
    patientId,
    requests,
    books,
    workflow,
    ...(resolvedException ? { resolvedException } : {}),
  };
}
