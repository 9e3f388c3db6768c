import { centsToX12 } from './amounts.js';
import type { Delimiters } from './tokenizer.js';

/**
 * Writes an 835 from plain values — the inverse of read835 for what the hub reads. Used by the property
 * tests (generated balanced remittances must read back equal) and by the benchmark (a 20,000-claim file),
 * and the shape a future outbound 835 (e.g. to a patient-accounting system) would take. Streams: it yields
 * the file in pieces, so a large file is never built as one string unless the caller joins it.
 */
export interface AdjustmentSpec {
  group: 'CO' | 'PR' | 'OA' | 'PI';
  reason: string;
  amountCents: number;
}

export interface ServiceSpec {
  procedure: string;
  chargeCents: number;
  paidCents: number;
  adjustments: AdjustmentSpec[];
}

export interface ClaimSpec {
  claimId: string;
  status: string;
  billedCents: number;
  paidCents: number;
  patientResponsibilityCents?: number;
  filingIndicator: string;
  payerClaimControlNumber: string;
  adjustments: AdjustmentSpec[];
  services: ServiceSpec[];
  serviceDate: string;
}

export interface ProviderAdjustmentSpec {
  reason: string;
  reference?: string;
  amountCents: number;
}

export interface RemittanceSpec {
  controlNumber: string;
  traceNumber: string;
  method: 'ACH' | 'CHK' | 'FWT' | 'BOP' | 'NON';
  /** YYYY-MM-DD */
  date: string;
  payerName: string;
  /** N1*PR N104 (N103 XV): the payer's identifier, when the ERA names it. */
  payerId?: string;
  payeeName: string;
  payeeNpi: string;
  claims: ClaimSpec[];
  providerAdjustments: ProviderAdjustmentSpec[];
}

export interface WriteOptions {
  delimiters?: Partial<Delimiters>;
  /** Appended after every segment terminator: '', '\n' or '\r\n'. */
  lineBreak?: string;
  interchangeControlNumber?: string;
  groupControlNumber?: string;
}

const DEFAULT_DELIMITERS: Delimiters = { element: '*', repetition: '^', component: ':', segment: '~' };

/** Σ CLP04 − Σ PLB, what BPR02 (with BPR03 C/D) must say for the file to balance. */
export function totalPaymentCents(spec: RemittanceSpec): number {
  return (
    spec.claims.reduce((sum, c) => sum + c.paidCents, 0) -
    spec.providerAdjustments.reduce((sum, p) => sum + p.amountCents, 0)
  );
}

export function* write835(
  specs: RemittanceSpec | RemittanceSpec[],
  options: WriteOptions = {},
): Generator<string> {
  const transactions = Array.isArray(specs) ? specs : [specs];
  const d = { ...DEFAULT_DELIMITERS, ...options.delimiters };
  const end = `${d.segment}${options.lineBreak ?? ''}`;
  const seg = (...elements: string[]) => {
    let last = elements.length;
    while (last > 1 && elements[last - 1] === '') last--; // no trailing empty elements
    return `${elements.slice(0, last).join(d.element)}${end}`;
  };
  const isaControl = (options.interchangeControlNumber ?? '000000001').padStart(9, '0');
  const gsControl = options.groupControlNumber ?? '1';
  const first = transactions[0];
  const today = (first?.date ?? '2026-01-01').replaceAll('-', '');
  yield [
    'ISA',
    '00',
    ''.padEnd(10),
    '00',
    ''.padEnd(10),
    'ZZ',
    'PAYER'.padEnd(15),
    'ZZ',
    'RCMHUB'.padEnd(15),
    today.slice(2),
    '1200',
    d.repetition,
    '00501',
    isaControl,
    '0',
    'T',
    d.component,
  ].join(d.element) + end;
  yield seg('GS', 'HP', 'PAYER', 'RCMHUB', today, '1200', gsControl, 'X', '005010X221A1');
  for (const spec of transactions) {
    let count = 0;
    const out = (...elements: string[]) => {
      count += 1;
      return seg(...elements);
    };
    const total = totalPaymentCents(spec);
    const date = spec.date.replaceAll('-', '');
    let piece = out('ST', '835', spec.controlNumber);
    piece += out(
      'BPR',
      total === 0 ? 'H' : 'I',
      centsToX12(Math.abs(total)),
      total < 0 ? 'D' : 'C',
      spec.method,
      '',
      '',
      '',
      '',
      '',
      '',
      '',
      '',
      '',
      '',
      '',
      date,
    );
    piece += out('TRN', '1', spec.traceNumber, '1999999999');
    piece += out('DTM', '405', date);
    piece += spec.payerId
      ? out('N1', 'PR', spec.payerName, 'XV', spec.payerId)
      : out('N1', 'PR', spec.payerName);
    piece += out('N1', 'PE', spec.payeeName, 'XX', spec.payeeNpi);
    piece += out('LX', '1');
    yield piece;
    for (const claim of spec.claims) {
      piece = out(
        'CLP',
        claim.claimId,
        claim.status,
        centsToX12(claim.billedCents),
        centsToX12(claim.paidCents),
        claim.patientResponsibilityCents === undefined ? '' : centsToX12(claim.patientResponsibilityCents),
        claim.filingIndicator,
        claim.payerClaimControlNumber,
      );
      for (const cas of casSegments(claim.adjustments)) piece += out(...cas);
      piece += out('NM1', 'QC', '1', 'DOE', 'PAT', '', '', '', 'MI', 'M0000001');
      piece += out('DTM', '232', claim.serviceDate.replaceAll('-', ''));
      for (const service of claim.services) {
        piece += out(
          'SVC',
          service.procedure.replaceAll(':', d.component),
          centsToX12(service.chargeCents),
          centsToX12(service.paidCents),
        );
        piece += out('DTM', '472', claim.serviceDate.replaceAll('-', ''));
        for (const cas of casSegments(service.adjustments)) piece += out(...cas);
      }
      yield piece;
    }
    piece = '';
    // PLB: up to six adjustments per segment.
    for (let i = 0; i < spec.providerAdjustments.length; i += 6) {
      const pairs = spec.providerAdjustments
        .slice(i, i + 6)
        .flatMap((p) => [
          p.reference ? `${p.reason}${d.component}${p.reference}` : p.reason,
          centsToX12(p.amountCents),
        ]);
      piece += out('PLB', spec.payeeNpi, `${spec.date.slice(0, 4)}1231`, ...pairs);
    }
    piece += seg('SE', String(count + 1), spec.controlNumber);
    yield piece;
  }
  yield seg('GE', String(transactions.length), gsControl);
  yield seg('IEA', '1', isaControl);
}

/**
 * CAS segments grouped by CAS01 in order of first appearance, up to six reason/amount triplets each; a group
 * with more than six continues in the next segment, before the next group's, so a group's order is kept whole.
 */
function casSegments(adjustments: AdjustmentSpec[]): string[][] {
  const groups = new Map<string, AdjustmentSpec[]>();
  for (const a of adjustments) groups.set(a.group, [...(groups.get(a.group) ?? []), a]);
  const segments: string[][] = [];
  for (const [group, members] of groups) {
    for (let i = 0; i < members.length; i += 6) {
      const segment = ['CAS', group];
      for (const [k, a] of members.slice(i, i + 6).entries()) {
        if (k > 0) segment.push(''); // the quantity of the previous triplet
        segment.push(a.reason, centsToX12(a.amountCents));
      }
      segments.push(segment);
    }
  }
  return segments;
}
