import { AdjustmentGroup } from '../remittance.js';
import { dollars, x12Cents, x12Date } from './amounts.js';
import { EnvelopeReader, issueAt, positionOf, type TransactionHeader, type X12Issue } from './envelope.js';
import { components, type Segment, type SegmentPosition, segmentBatches, X12Error } from './tokenizer.js';

/**
 * An 835 (Health Care Claim Payment/Advice, 005010X221A1) read into plain values: integer cents, ISO dates,
 * and the position of every segment a balancing message may point at. No PHI is kept: patient names (NM1*QC)
 * are not read, only what posting and matching need.
 */
export interface Adjustment835 {
  group: AdjustmentGroup;
  /** CARC, e.g. 45, 1, 2, A2. */
  reason: string;
  amountCents: number;
  position: SegmentPosition;
}

export interface ServicePayment835 {
  /** SVC01 as sent, components joined with ':' (e.g. `HC:99213:25`). */
  procedure: string;
  chargeCents: number;
  paidCents: number;
  adjustments: Adjustment835[];
  position: SegmentPosition;
}

export interface ClaimPayment835 {
  /** CLP01: our claim id (the 837 CLM01) as the payer echoes it; not unique across claims. */
  claimId: string;
  /** CLP02: 1 primary, 2 secondary, 3 tertiary, 4 denied, 22 reversal, … */
  status: string;
  billedCents: number;
  paidCents: number;
  /** CLP05, when sent. */
  patientResponsibilityCents?: number;
  /** CLP06 claim filing indicator (12 PPO, MA/MB Medicare, MC Medicaid, HM HMO, …). */
  filingIndicator: string;
  /** CLP07: the payer's claim control number, the key that matches across ERAs and 277s. */
  payerClaimControlNumber?: string;
  /** AMT*I (2100): interest the payer paid on this claim (prompt-pay), when sent. See `claimInterestInPaid`. */
  interestCents?: number;
  /** Claim-level CAS. */
  adjustments: Adjustment835[];
  services: ServicePayment835[];
  /** DTM*232 / DTM*472 (service dates), DTM*050 received. */
  dates: Record<string, string>;
  position: SegmentPosition;
}

export interface ProviderAdjustment835 {
  /** PLB01 provider identifier (NPI or TIN). */
  providerId: string;
  /** PLB02 fiscal period date. */
  fiscalPeriodDate?: string;
  /** PLB03-1 adjustment reason: WO overpayment recovery, L6 interest, FB forward balance, CS, … */
  reason: string;
  /** PLB03-2 reference (e.g. the claim a recovery concerns). */
  reference?: string;
  /** As sent: positive reduces the payment, negative increases it. */
  amountCents: number;
  position: SegmentPosition;
}

export interface Remittance835 {
  header: TransactionHeader;
  payment: {
    /** BPR01: I remittance with payment, H notification only, C payment accompanies, … */
    handling: string;
    /** BPR02 signed by BPR03 (C credit +, D debit −). */
    amountCents: number;
    creditDebit: string;
    /** BPR04: ACH, CHK, FWT, BOP, NON. */
    method: string;
    /** BPR16 effective date. */
    date?: string;
    position: SegmentPosition;
  };
  trace: { type: string; traceNumber: string; originator?: string; position: SegmentPosition };
  payer: { name?: string; id?: string };
  payee: { name?: string; idQualifier?: string; id?: string };
  productionDate?: string;
  claims: ClaimPayment835[];
  providerAdjustments: ProviderAdjustment835[];
  position: SegmentPosition;
}

export interface Read835 {
  transactions: Remittance835[];
  /** Envelope, syntax and balancing issues; a document with any is not accepted. */
  issues: X12Issue[];
  /** What was read but repaired (e.g. an impossible BPR16 date replaced by DTM*405); answered, not refused. */
  warnings: X12Issue[];
  bytes: number;
  segments: number;
  /** CLP loops read (kept or not). */
  claims: number;
}

export const REMITTANCE_835 = {
  transactionSet: '835',
  implementations: ['005010X221A1', '005010X221'],
  description: 'the 835 health care claim payment/advice, 005010X221A1',
} as const;

const PAYMENT_METHODS = new Set(['ACH', 'CHK', 'FWT', 'BOP', 'NON']);
const ADJUSTMENT_GROUPS = new Set<string>(AdjustmentGroup.options);
const CLAIM_STATUSES = new Set(['1', '2', '3', '4', '19', '20', '21', '22', '23', '25']);

/** Reads every 835 of a stream (one or many interchanges, groups, transactions) and balances each. */
export interface Read835Options {
  /**
   * false: balance each claim as it closes and keep none (`transactions[].claims` stays empty) — the
   * constant-memory validation pass over a large upload; `claims` still counts them.
   */
  keepClaims?: boolean;
  /**
   * Called as each claim closes (balanced), with its transaction's payment and trace read so far. A returned
   * promise is awaited before reading on: back-pressure for a consumer that writes as it reads.
   */
  onClaim?: (
    claim: ClaimPayment835,
    transaction: Pick<Remittance835, 'header' | 'payment' | 'trace' | 'payer'>,
  ) => undefined | Promise<void>;
}

export async function read835(
  chunks: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  options: Read835Options = {},
): Promise<Read835> {
  const envelope = new EnvelopeReader(REMITTANCE_835);
  const issues: X12Issue[] = [];
  const warnings: X12Issue[] = [];
  const transactions: Remittance835[] = [];
  let builder: Builder835 | undefined;
  let segments = 0;
  let bytes = 0;
  let claims = 0;
  const counted = async function* () {
    for await (const chunk of chunks) {
      bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      yield chunk;
    }
  };
  for await (const batch of segmentBatches(counted())) {
    for (const segment of batch) {
      segments += 1;
      const step = envelope.step(segment);
      if (step.kind === 'open') builder = new Builder835(step.header, issues, warnings, options);
      else if (step.kind === 'body') {
        builder?.add(segment);
        if (builder && builder.waits.length > 0) {
          const waits = builder.waits;
          builder.waits = [];
          await Promise.all(waits);
        }
      } else if (step.kind === 'close' && builder) {
        const transaction = builder.finish();
        await Promise.all(builder.waits);
        if (transaction) {
          issues.push(...balanceTransaction(transaction, builder.paidTotal));
          claims += builder.claimCount;
          transactions.push(transaction);
        }
        builder = undefined;
      }
    }
  }
  envelope.finish();
  return { transactions, issues: [...envelope.issues, ...issues], warnings, bytes, segments, claims };
}

class Builder835 {
  private payment: Remittance835['payment'] | undefined;
  private trace: Remittance835['trace'] | undefined;
  private payer: Remittance835['payer'] = {};
  private payee: Remittance835['payee'] = {};
  private productionDate: string | undefined;
  private party: 'payer' | 'payee' | undefined;
  private claims: ClaimPayment835[] = [];
  private plbs: ProviderAdjustment835[] = [];
  private claim: ClaimPayment835 | undefined;
  private service: ServicePayment835 | undefined;
  paidTotal = 0n;
  claimCount = 0;
  /** Promises returned by onClaim, awaited by read835 between segment batches. */
  waits: Promise<void>[] = [];

  constructor(
    private readonly header: TransactionHeader,
    private readonly issues: X12Issue[],
    private readonly warnings: X12Issue[],
    private readonly options: Read835Options,
  ) {}

  add(segment: Segment): void {
    const e = segment.elements;
    switch (segment.id) {
      case 'BPR': {
        const amount = this.amount(segment, 2, 'BPR02 total payment');
        const creditDebit = e[2] ?? '';
        const method = e[3] ?? '';
        if (!PAYMENT_METHODS.has(method))
          this.issues.push(
            issueAt(segment, `BPR04 payment method "${method}" is not ACH, CHK, FWT, BOP or NON`),
          );
        if (creditDebit !== 'C' && creditDebit !== 'D')
          this.issues.push(issueAt(segment, `BPR03 must be C (credit) or D (debit), not "${creditDebit}"`));
        this.payment = {
          handling: e[0] ?? '',
          amountCents: creditDebit === 'D' ? -(amount ?? 0) : (amount ?? 0),
          creditDebit,
          method,
          ...(x12Date(e[15]) ? { date: x12Date(e[15]) as string } : {}),
          position: positionOf(segment),
        };
        if (!this.payment.date)
          this.warnings.push(
            issueAt(
              segment,
              `BPR16 "${e[15] ?? ''}" is not a CCYYMMDD date; the production date (DTM*405) is used`,
            ),
          );
        return;
      }
      case 'TRN':
        if (this.trace || this.claim) return; // only the header TRN (2100 has none in 5010)
        if (!e[1]) this.issues.push(issueAt(segment, 'TRN02 check or EFT trace number is missing'));
        this.trace = {
          type: e[0] ?? '',
          traceNumber: e[1] ?? '',
          ...(e[2] ? { originator: e[2] } : {}),
          position: positionOf(segment),
        };
        return;
      case 'DTM':
        if (this.claim) {
          const date = x12Date(e[1]);
          if (!date) this.issues.push(issueAt(segment, `DTM02 "${e[1] ?? ''}" is not a CCYYMMDD date`));
          else if (!this.service) this.claim.dates[e[0] ?? ''] = date;
        } else if (e[0] === '405') this.productionDate = x12Date(e[1]);
        return;
      case 'N1':
        if (this.claim) return;
        if (e[0] === 'PR') {
          this.party = 'payer';
          this.payer = { ...(e[1] ? { name: e[1] } : {}), ...(e[3] ? { id: e[3] } : {}) };
        } else if (e[0] === 'PE') {
          this.party = 'payee';
          this.payee = {
            ...(e[1] ? { name: e[1] } : {}),
            ...(e[2] ? { idQualifier: e[2] } : {}),
            ...(e[3] ? { id: e[3] } : {}),
          };
        } else this.party = undefined;
        return;
      case 'REF':
        // 1000A REF*2U: the payer identification when N1 has none.
        if (!this.claim && this.party === 'payer' && e[0] === '2U' && !this.payer.id && e[1])
          this.payer.id = e[1];
        return;
      case 'LX':
        this.closeClaim();
        return;
      case 'CLP':
        this.openClaim(segment);
        return;
      case 'CAS': {
        if (!this.claim) {
          this.issues.push(issueAt(segment, 'CAS before any CLP: an adjustment must belong to a claim'));
          return;
        }
        const adjustments = this.cas(segment);
        (this.service ?? this.claim).adjustments.push(...adjustments);
        return;
      }
      case 'SVC': {
        if (!this.claim) {
          this.issues.push(issueAt(segment, 'SVC before any CLP: a service line must belong to a claim'));
          return;
        }
        const charge = this.amount(segment, 2, 'SVC02 line charge');
        const paid = this.amount(segment, 3, 'SVC03 line payment');
        this.service = {
          procedure: components(e[0] ?? '', segment.delimiters).join(':'),
          chargeCents: charge ?? 0,
          paidCents: paid ?? 0,
          adjustments: [],
          position: positionOf(segment),
        };
        this.claim.services.push(this.service);
        return;
      }
      case 'PLB':
        this.closeClaim();
        this.plb(segment);
        return;
      case 'AMT':
        // 2100 AMT*I: claim interest (issue 14: booked to interest income, never dropped). Other AMT: not needed.
        if (this.claim && !this.service && e[0] === 'I') {
          const interest = this.amount(segment, 2, 'AMT02 claim interest');
          if (interest !== undefined) this.claim.interestCents = (this.claim.interestCents ?? 0) + interest;
        }
        return;
      default:
        return; // NM1, MIA, MOA, AMT, QTY, LQ, PER, TS3, TS2, N3, N4, RDM, CUR: not needed for posting
    }
  }

  finish(): Remittance835 | undefined {
    this.closeClaim();
    if (!this.payment) {
      this.issues.push(
        issueAt(this.header.position, `transaction ${this.header.controlNumber} has no BPR segment`),
      );
      return undefined;
    }
    if (!this.trace) {
      this.issues.push(
        issueAt(this.header.position, `transaction ${this.header.controlNumber} has no TRN segment`),
      );
      return undefined;
    }
    if (!this.payment.date) {
      if (!this.productionDate) {
        this.issues.push(
          issueAt(this.payment.position, 'no payment date: neither BPR16 nor DTM*405 holds a CCYYMMDD date'),
        );
        return undefined;
      }
      this.payment.date = this.productionDate;
    }
    return {
      header: this.header,
      payment: this.payment,
      trace: this.trace,
      payer: this.payer,
      payee: this.payee,
      ...(this.productionDate ? { productionDate: this.productionDate } : {}),
      claims: this.claims,
      providerAdjustments: this.plbs,
      position: this.header.position,
    };
  }

  private openClaim(segment: Segment): void {
    this.closeClaim();
    const e = segment.elements;
    const status = e[1] ?? '';
    if (!e[0]) this.issues.push(issueAt(segment, 'CLP01 claim id (the 837 CLM01) is missing'));
    if (!CLAIM_STATUSES.has(status))
      this.issues.push(
        issueAt(segment, `CLP02 claim status "${status}" is not one the hub posts (1, 2, 3, 4, 19–23, 25)`),
      );
    const billed = this.amount(segment, 3, 'CLP03 total charge');
    const paid = this.amount(segment, 4, 'CLP04 payment');
    const patient = e[4] ? this.amount(segment, 5, 'CLP05 patient responsibility') : undefined;
    this.claim = {
      claimId: e[0] ?? '',
      status,
      billedCents: billed ?? 0,
      paidCents: paid ?? 0,
      ...(patient !== undefined ? { patientResponsibilityCents: patient } : {}),
      filingIndicator: e[5] ?? '',
      ...(e[6] ? { payerClaimControlNumber: e[6] } : {}),
      adjustments: [],
      services: [],
      dates: {},
      position: positionOf(segment),
    };
  }

  private closeClaim(): void {
    if (this.claim) {
      this.issues.push(...balanceClaim(this.claim));
      this.paidTotal += BigInt(this.claim.paidCents);
      this.claimCount += 1;
      if (this.options.keepClaims ?? true) this.claims.push(this.claim);
      if (this.options.onClaim && this.payment && this.trace) {
        const wait = this.options.onClaim(this.claim, {
          header: this.header,
          payment: this.payment,
          trace: this.trace,
          // N1*PR comes before the claims: the payer that pays them (documents.ts, PayingPayers).
          payer: this.payer,
        });
        if (wait) this.waits.push(wait);
      }
    }
    this.claim = undefined;
    this.service = undefined;
  }

  /** CAS01 group, then up to six reason/amount/quantity triplets (CAS02–CAS19). */
  private cas(segment: Segment): Adjustment835[] {
    const e = segment.elements;
    const group = e[0] ?? '';
    if (group === 'CR') {
      this.issues.push(
        issueAt(
          segment,
          'CAS01 group code CR (correction and reversal) exists only in 4010; a 5010 835 reverses with CLP02 = 22',
        ),
      );
      return [];
    }
    if (!ADJUSTMENT_GROUPS.has(group)) {
      this.issues.push(issueAt(segment, `CAS01 group code "${group}" is not CO, PR, OA or PI`));
      return [];
    }
    const out: Adjustment835[] = [];
    const position = positionOf(segment);
    for (let i = 1; i < Math.min(e.length, 19); i += 3) {
      const reason = e[i] ?? '';
      const amount = e[i + 1] ?? '';
      if (!reason && !amount) continue;
      if (!/^[A-Z0-9]{1,5}$/.test(reason)) {
        this.issues.push(
          issueAt(
            segment,
            `CAS${String(i + 1).padStart(2, '0')} "${reason}" is not a claim adjustment reason code`,
          ),
        );
        continue;
      }
      const cents = this.amount(segment, i + 2, `CAS${String(i + 2).padStart(2, '0')} adjustment amount`);
      if (cents === undefined) continue;
      out.push({ group: group as AdjustmentGroup, reason, amountCents: cents, position });
    }
    if (out.length === 0 && e.length <= 1)
      this.issues.push(issueAt(segment, 'CAS carries no reason/amount pair'));
    return out;
  }

  /** PLB03/04 … PLB13/14: up to six reason:reference / amount pairs. */
  private plb(segment: Segment): void {
    const e = segment.elements;
    const providerId = e[0] ?? '';
    const fiscalPeriodDate = x12Date(e[1]);
    if (!providerId) this.issues.push(issueAt(segment, 'PLB01 provider identifier is missing'));
    for (let i = 2; i < Math.min(e.length, 14); i += 2) {
      const [reason = '', reference] = components(e[i] ?? '', segment.delimiters);
      if (!reason) continue;
      const cents = this.amount(
        segment,
        i + 2,
        `PLB${String(i + 2).padStart(2, '0')} provider adjustment amount`,
      );
      if (cents === undefined) continue;
      this.plbs.push({
        providerId,
        ...(fiscalPeriodDate ? { fiscalPeriodDate } : {}),
        reason,
        ...(reference ? { reference } : {}),
        amountCents: cents,
        position: positionOf(segment),
      });
    }
  }

  /** Element `n` (1-based, as the TR3 numbers it) as cents; an issue when it is not an amount. */
  private amount(segment: Segment, n: number, what: string): number | undefined {
    const value = segment.elements[n - 1] ?? '';
    const cents = x12Cents(value);
    if (cents === undefined)
      this.issues.push(
        issueAt(
          segment,
          `${what} "${value}" is not an amount (digits, optional "-" and at most two decimals)`,
        ),
      );
    return cents;
  }
}

/**
 * The 835's own balancing (005010X221A1 section 1.10.2, see test/fixtures/x12/SOURCES.md):
 *   service      SVC02 − Σ CAS(line) = SVC03
 *   claim        CLP03 − Σ CAS(claim + lines) = CLP04
 *   transaction  BPR02 = Σ CLP04 − Σ PLB amounts (a positive PLB reduces the payment)
 * plus CLP05 = Σ PR adjustments when CLP05 is sent (X12 RFI 2548). Exact in BigInt.
 */
export function balance835(t: Remittance835): X12Issue[] {
  const issues = t.claims.flatMap(balanceClaim);
  const paidTotal = t.claims.reduce((sum, c) => sum + BigInt(c.paidCents), 0n);
  return [...issues, ...balanceTransaction(t, paidTotal)];
}

/**
 * The AMT*I interest CLP04 carries: payers that pay prompt-pay interest with the claim add it to CLP04 without a
 * CAS for it (CLP03 − Σ CAS = CLP04 − AMT*I); others pay it apart (a PLB L6) and CLP03 − Σ CAS = CLP04 holds as
 * is. The claim's own payment is then CLP04 − this; the interest is income (era-deposit.ts), not the invoice's.
 */
export function claimInterestInPaid(
  claim: Pick<ClaimPayment835, 'billedCents' | 'paidCents' | 'interestCents'> & {
    adjustments: ReadonlyArray<{ amountCents: number }>;
    services: ReadonlyArray<{ adjustments: ReadonlyArray<{ amountCents: number }> }>;
  },
): number {
  const interest = claim.interestCents ?? 0;
  if (interest === 0) return 0;
  const adjustments = [...claim.adjustments, ...claim.services.flatMap((s) => s.adjustments)].reduce(
    (sum, a) => sum + BigInt(a.amountCents),
    0n,
  );
  const left = BigInt(claim.billedCents) - adjustments;
  return left !== BigInt(claim.paidCents) && left === BigInt(claim.paidCents - interest) ? interest : 0;
}

/** Service and claim balancing of one CLP loop (done as each claim closes, so nothing needs keeping). */
export function balanceClaim(claim: ClaimPayment835): X12Issue[] {
  const issues: X12Issue[] = [];
  let adjustments = 0n;
  let pr = 0n;
  for (const a of claim.adjustments) {
    adjustments += BigInt(a.amountCents);
    if (a.group === 'PR') pr += BigInt(a.amountCents);
  }
  for (const service of claim.services) {
    let line = 0n;
    for (const a of service.adjustments) {
      line += BigInt(a.amountCents);
      if (a.group === 'PR') pr += BigInt(a.amountCents);
    }
    adjustments += line;
    const charge = BigInt(service.chargeCents);
    const paid = BigInt(service.paidCents);
    if (charge - line !== paid) {
      issues.push(
        issueAt(
          service.position,
          `service line does not balance: SVC02 ${dollars(charge)} − adjustments ${dollars(line)} = ${dollars(charge - line)}, but SVC03 paid ${dollars(paid)} (claim ${claim.claimId})`,
        ),
      );
    }
  }
  const billed = BigInt(claim.billedCents);
  const paid = BigInt(claim.paidCents);
  // CLP04 may carry the AMT*I interest on top of what the CAS leave to pay (claimInterestInPaid).
  const interest = BigInt(claim.interestCents ?? 0);
  if (billed - adjustments !== paid && (interest === 0n || billed - adjustments !== paid - interest)) {
    issues.push(
      issueAt(
        claim.position,
        `claim ${claim.claimId} does not balance: CLP03 ${dollars(billed)} − adjustments ${dollars(adjustments)} (claim and service CAS) = ${dollars(billed - adjustments)}, but CLP04 paid ${dollars(paid)}`,
      ),
    );
  }
  if (claim.patientResponsibilityCents !== undefined && BigInt(claim.patientResponsibilityCents) !== pr) {
    issues.push(
      issueAt(
        claim.position,
        `claim ${claim.claimId}: CLP05 patient responsibility ${dollars(claim.patientResponsibilityCents)} but PR adjustments total ${dollars(pr)}`,
      ),
    );
  }
  if (claim.status !== '22' && billed < 0n) {
    issues.push(
      issueAt(
        claim.position,
        `claim ${claim.claimId}: CLP03 ${dollars(billed)} is negative, but only a reversal (CLP02 22) bills a negative amount`,
      ),
    );
  }
  if (claim.status === '22' && (billed > 0n || paid > 0n)) {
    issues.push(
      issueAt(
        claim.position,
        `claim ${claim.claimId} is a reversal (CLP02 22): its CLP03 and CLP04 must be 0 or negative`,
      ),
    );
  }
  return issues;
}

/** BPR02 (signed by BPR03) = Σ CLP04 − Σ PLB. */
export function balanceTransaction(
  t: Pick<Remittance835, 'payment' | 'header' | 'providerAdjustments'>,
  paidTotal: bigint,
): X12Issue[] {
  const plbTotal = t.providerAdjustments.reduce((sum, p) => sum + BigInt(p.amountCents), 0n);
  const bpr = BigInt(t.payment.amountCents);
  if (bpr === paidTotal - plbTotal) return [];
  return [
    issueAt(
      t.payment.position,
      `transaction ${t.header.controlNumber} does not balance: BPR02 ${dollars(bpr)} but Σ CLP04 ${dollars(paidTotal)} − Σ PLB ${dollars(plbTotal)} = ${dollars(paidTotal - plbTotal)}`,
    ),
  ];
}

/** A whole document in memory (a test, a small body) as a one-chunk stream. */
export function read835Text(text: string | Buffer): Promise<Read835> {
  return read835([text]);
}

export { X12Error };
