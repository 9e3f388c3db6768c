/**
 * Service levels of the revenue workflow, as pure rules: which encounter is stuck in its state, which accepted
 * remittance or payment is not in Odoo yet, which payer invoice still waits for its claim — with the age and
 * the revenue at stake (integer cents). The SLA sweeper (handlers/sla-sweeper.ts) feeds it what the workflow
 * table holds and turns the answers into metrics and exceptions; nothing here reads a clock or a table.
 */
import { formatCents } from './money.js';
import { stageIndex, WORKFLOW_STATES, type WorkflowState } from './workflow.js';

/** States an encounter can be stuck in. A person already acts on exception_pending; later states are done. */
export const SLA_STATES = [
  'charge_ready',
  'invoice_issued',
  'claim_submitted',
  'payer_response_received',
] as const;
export type SlaState = (typeof SLA_STATES)[number];

export type Team = 'billing' | 'finance' | 'integration';
export const TEAMS: readonly Team[] = ['finance', 'billing', 'integration'];

/**
 * Who acts on an encounter stuck in a state: billing issues invoices, submits claims and chases payers; once
 * the payer has answered, posting the money is finance's.
 */
export const SLA_TEAM: Record<SlaState, Team> = {
  charge_ready: 'billing',
  invoice_issued: 'billing',
  claim_submitted: 'billing',
  payer_response_received: 'finance',
};

export interface SlaThresholds {
  stuckHours: Record<SlaState, number>;
  remittanceUnpostedHours: number;
  paymentUnpostedHours: number;
  invoiceAwaitingClaimHours: number;
  /** An accepted invoice not in Odoo after this long is overdue (issue 12: nothing accepted may vanish). */
  invoiceUnpostedHours: number;
}

/** What the rules need of a workflow item (adapters/dynamodb/workflow-store.ts `Workflow` has all of it). */
export interface EncounterSnapshot {
  encounterId: string;
  state: WorkflowState;
  stage: Exclude<WorkflowState, 'exception_pending'>;
  /** ISO time the workflow entered its state. */
  stateSince: string;
  money: { billedCents: number; paidCents: number; adjustedCents: number; patientPaidCents: number };
  odooInvoices: Record<string, { invoiceId: string; billTo?: 'payer' | 'patient'; totalCents?: number }>;
  claims: Record<string, { invoiceIds: string[] }>;
  /** Booked remittances and payments, by their document id. */
  remittances: Record<string, unknown>;
  payments: Record<string, unknown>;
  exceptions: Record<string, { key: string; team: Team; amountCents: number }>;
}

/** An accepted business event of the encounter's timeline (its non-PHI facts). */
export interface AcceptedDocument {
  eventId: string;
  type: string;
  /** ISO time it was accepted. */
  time: string;
  detail: Record<string, unknown>;
}

/** An event held until what it depends on exists (`HELD#<eventId>`). */
export interface HeldDocument {
  eventId: string;
  heldAt: string;
  waitingFor: string;
}

const HOUR_MS = 3_600_000;
const ageMs = (since: string, now: number): number => Math.max(0, now - Date.parse(since));

/**
 * Revenue still open on an encounter: invoiced (payer and patient) minus what was paid, written off and paid by
 * the patient. Patient responsibility is a transfer between invoices, so it stays open until the patient pays.
 */
export function outstandingCents(money: EncounterSnapshot['money']): number {
  return Math.max(0, money.billedCents - money.paidCents - money.adjustedCents - money.patientPaidCents);
}

export interface StuckEncounter {
  encounterId: string;
  state: SlaState;
  team: Team;
  /** The exception key: one per state, so a sweep that runs again never opens a second one. */
  key: string;
  ageMs: number;
  thresholdHours: number;
  amountCents: number;
}

/** An encounter is stuck when it has stayed in an SLA state longer than that state's threshold. */
export function stuckInState(
  snapshot: EncounterSnapshot,
  now: number,
  thresholds: Pick<SlaThresholds, 'stuckHours'>,
): StuckEncounter | undefined {
  if (!(SLA_STATES as readonly string[]).includes(snapshot.state)) return undefined;
  const state = snapshot.state as SlaState;
  const thresholdHours = thresholds.stuckHours[state];
  const age = ageMs(snapshot.stateSince, now);
  if (age <= thresholdHours * HOUR_MS) return undefined;
  return {
    encounterId: snapshot.encounterId,
    state,
    team: SLA_TEAM[state],
    key: `sla:${state}`,
    ageMs: age,
    thresholdHours,
    amountCents: outstandingCents(snapshot.money),
  };
}

export interface UnpostedDocument {
  kind: 'invoice' | 'remittance' | 'payment';
  /** invoiceId, remittanceId or paymentId. */
  id: string;
  eventId: string;
  acceptedAt: string;
  ageMs: number;
  amountCents: number;
  /**
   * Why it is not in Odoo: `held` (waits for its claim, invoice or patient), `refused` (Odoo refused it: an
   * `odoo-write:<eventId>` exception is open), `pending` (queued or being retried; see lastOdooError).
   */
  why: 'held' | 'refused' | 'pending';
}

/** Per accepted document type: what it is, the field naming it, the booking it must reach, its amount. */
const POSTED_DOCUMENTS = {
  InvoiceIssued: { kind: 'invoice', idField: 'invoiceId', amountField: 'totalCents' },
  RemittanceReceived: { kind: 'remittance', idField: 'remittanceId', amountField: 'paidCents' },
  PaymentReceived: { kind: 'payment', idField: 'paymentId', amountField: 'amountCents' },
} as const;

/**
 * Accepted-but-not-posted documents: an InvoiceIssued (RemittanceReceived, PaymentReceived) in the timeline
 * whose invoiceId (remittanceId, paymentId) the workflow has not booked in Odoo. Booking is keyed by the
 * document id, so a document re-sent under a new key counts once (from its first acceptance) and a booked one
 * never counts, whatever else is held.
 */
export function unpostedDocuments(
  snapshot: Pick<EncounterSnapshot, 'remittances' | 'payments' | 'exceptions'> &
    Partial<Pick<EncounterSnapshot, 'odooInvoices'>>,
  documents: readonly AcceptedDocument[],
  held: readonly HeldDocument[],
  now: number,
): UnpostedDocument[] {
  const heldIds = new Set(held.map((h) => h.eventId));
  const byId = new Map<string, UnpostedDocument>();
  for (const doc of [...documents].sort((a, b) => a.time.localeCompare(b.time))) {
    const spec = POSTED_DOCUMENTS[doc.type as keyof typeof POSTED_DOCUMENTS];
    if (!spec) continue;
    const kind = spec.kind;
    const id = doc.detail[spec.idField];
    if (typeof id !== 'string') continue;
    const booked =
      kind === 'invoice'
        ? (snapshot.odooInvoices ?? {})
        : kind === 'remittance'
          ? snapshot.remittances
          : snapshot.payments;
    if (booked[id] !== undefined || byId.has(`${kind}:${id}`)) continue;
    const amount = doc.detail[spec.amountField];
    // A remittance's money at stake is its cash and the patient's share it moves (remittanceAtStake).
    const patientShare = kind === 'remittance' ? doc.detail.patientResponsibilityCents : undefined;
    byId.set(`${kind}:${id}`, {
      kind,
      id,
      eventId: doc.eventId,
      acceptedAt: doc.time,
      ageMs: ageMs(doc.time, now),
      amountCents:
        (typeof amount === 'number' ? Math.abs(amount) : 0) +
        (typeof patientShare === 'number' ? Math.abs(patientShare) : 0),
      why: heldIds.has(doc.eventId)
        ? 'held'
        : snapshot.exceptions[`odoo-write:${doc.eventId}`]
          ? 'refused'
          : 'pending',
    });
  }
  return [...byId.values()];
}

export interface AwaitingClaim {
  invoiceId: string;
  ageMs: number;
  amountCents: number;
}

/**
 * Payer invoices the hub posted in Odoo that no claim names yet. Their age runs from the invoice's acceptance
 * (its InvoiceIssued in the timeline), or from when the workflow entered its state if that entry is missing.
 */
export function invoicesAwaitingClaim(
  snapshot: Pick<EncounterSnapshot, 'odooInvoices' | 'claims' | 'stateSince'>,
  documents: readonly AcceptedDocument[],
  now: number,
): AwaitingClaim[] {
  const claimed = new Set(Object.values(snapshot.claims).flatMap((claim) => claim.invoiceIds));
  const acceptedAt = new Map<string, AcceptedDocument>();
  for (const doc of documents) {
    const invoiceId = doc.detail.invoiceId;
    if (doc.type !== 'InvoiceIssued' || typeof invoiceId !== 'string') continue;
    const seen = acceptedAt.get(invoiceId);
    if (!seen || doc.time < seen.time) acceptedAt.set(invoiceId, doc);
  }
  return Object.values(snapshot.odooInvoices)
    .filter((invoice) => invoice.billTo !== 'patient' && !claimed.has(invoice.invoiceId))
    .map((invoice) => {
      const accepted = acceptedAt.get(invoice.invoiceId);
      const total = invoice.totalCents ?? accepted?.detail.totalCents;
      return {
        invoiceId: invoice.invoiceId,
        ageMs: ageMs(accepted?.time ?? snapshot.stateSince, now),
        amountCents: typeof total === 'number' ? Math.abs(total) : 0,
      };
    });
}

/** Everything one sweep learned about one encounter. */
export interface EncounterAssessment {
  encounterId: string;
  state: WorkflowState;
  stuck?: StuckEncounter;
  unposted: UnpostedDocument[];
  awaitingClaim: AwaitingClaim[];
  exceptions: EncounterSnapshot['exceptions'];
}

export function assessEncounter(
  snapshot: EncounterSnapshot,
  documents: readonly AcceptedDocument[],
  held: readonly HeldDocument[],
  now: number,
  thresholds: SlaThresholds,
): EncounterAssessment {
  const stuck = stuckInState(snapshot, now, thresholds);
  return {
    encounterId: snapshot.encounterId,
    state: snapshot.state,
    ...(stuck ? { stuck } : {}),
    unposted: unpostedDocuments(snapshot, documents, held, now),
    awaitingClaim: invoicesAwaitingClaim(snapshot, documents, now),
    exceptions: snapshot.exceptions,
  };
}

/** Overdue = older than the threshold; the amount is summed over the overdue ones; the oldest over all. */
export interface Backlog {
  count: number;
  oldestAgeSeconds: number;
  overdueCount: number;
  overdueCents: number;
}

/** What one sweep reports: the funnel, stuck encounters, backlogs and open exceptions (the metrics). */
export interface SweepSummary {
  encountersByState: Record<WorkflowState, number>;
  stuckByState: Record<SlaState, number>;
  invoicesAwaitingClaim: Backlog;
  remittancesUnposted: Backlog;
  paymentsUnposted: Backlog;
  invoicesUnposted: Backlog;
  openExceptions: Record<Team, { count: number; amountCents: number }>;
}

function backlog(items: readonly { ageMs: number; amountCents: number }[], thresholdHours: number): Backlog {
  const overdue = items.filter((item) => item.ageMs > thresholdHours * HOUR_MS);
  return {
    count: items.length,
    oldestAgeSeconds: Math.floor(Math.max(0, ...items.map((item) => item.ageMs)) / 1000),
    overdueCount: overdue.length,
    overdueCents: overdue.reduce((sum, item) => sum + item.amountCents, 0),
  };
}

export function summarize(
  assessments: readonly EncounterAssessment[],
  thresholds: SlaThresholds,
): SweepSummary {
  const encountersByState = Object.fromEntries(WORKFLOW_STATES.map((s) => [s, 0])) as Record<
    WorkflowState,
    number
  >;
  const stuckByState = Object.fromEntries(SLA_STATES.map((s) => [s, 0])) as Record<SlaState, number>;
  const openExceptions = Object.fromEntries(TEAMS.map((t) => [t, { count: 0, amountCents: 0 }])) as Record<
    Team,
    { count: number; amountCents: number }
  >;
  for (const assessment of assessments) {
    encountersByState[assessment.state] += 1;
    if (assessment.stuck) stuckByState[assessment.stuck.state] += 1;
    for (const exception of Object.values(assessment.exceptions)) {
      const team = openExceptions[exception.team];
      if (!team) continue;
      team.count += 1;
      team.amountCents += Math.abs(exception.amountCents);
    }
  }
  const unposted = assessments.flatMap((a) => a.unposted);
  return {
    encountersByState,
    stuckByState,
    invoicesAwaitingClaim: backlog(
      assessments.flatMap((a) => a.awaitingClaim),
      thresholds.invoiceAwaitingClaimHours,
    ),
    remittancesUnposted: backlog(
      unposted.filter((u) => u.kind === 'remittance'),
      thresholds.remittanceUnpostedHours,
    ),
    paymentsUnposted: backlog(
      unposted.filter((u) => u.kind === 'payment'),
      thresholds.paymentUnpostedHours,
    ),
    invoicesUnposted: backlog(
      unposted.filter((u) => u.kind === 'invoice'),
      thresholds.invoiceUnpostedHours,
    ),
    openExceptions,
  };
}

/**
 * The `sla:<state>` exceptions whose encounter has since moved past that state: the condition ended by itself
 * (the claim arrived, the payer answered), so the breach is cleared rather than left for a person.
 */
export function clearedSlaKeys(stage: WorkflowState, openKeys: readonly string[]): string[] {
  return openKeys.filter((key) => {
    const state = key.startsWith('sla:') ? key.slice(4) : '';
    return (
      (SLA_STATES as readonly string[]).includes(state) &&
      stageIndex(stage) > stageIndex(state as WorkflowState)
    );
  });
}

/** The wording of an `sla:<state>` exception (no PHI: state, hours, amount). */
export function stuckReason(stuck: StuckEncounter): string {
  const hours = Math.floor(stuck.ageMs / HOUR_MS);
  return `in ${stuck.state} for ${hours} h (threshold ${stuck.thresholdHours} h); ${formatCents(stuck.amountCents)} open`;
}

/** The threshold (hours) after which an accepted document of this kind should be in Odoo. */
export function unpostedThresholdHours(
  kind: UnpostedDocument['kind'],
  thresholds: Pick<
    SlaThresholds,
    'invoiceUnpostedHours' | 'remittanceUnpostedHours' | 'paymentUnpostedHours'
  >,
): number {
  if (kind === 'invoice') return thresholds.invoiceUnpostedHours;
  return kind === 'remittance' ? thresholds.remittanceUnpostedHours : thresholds.paymentUnpostedHours;
}

/** The exception an overdue unposted document opens: one per document, whoever accepted it and how often. */
export function unpostedKey(document: Pick<UnpostedDocument, 'kind' | 'id'>): string {
  return `unposted:${document.kind}:${document.id}`;
}

export interface UnpostedBreach {
  document: UnpostedDocument;
  key: string;
  team: Team;
  thresholdHours: number;
  reason: string;
}

/**
 * Accepted invoices that should be in Odoo by now and are neither held (they wait for something a person can
 * see) nor refused (an `odoo-write:` exception is open already): lost on the way, or stuck behind an outage.
 * Each becomes an integration exception, so nothing accepted disappears silently. Remittances and payments
 * keep their finance alarms (RemittancesUnposted, PaymentsUnposted) over the same list; pass their kinds to
 * open exceptions for them too.
 */
export function overdueUnposted(
  unposted: readonly UnpostedDocument[],
  thresholds: Pick<
    SlaThresholds,
    'invoiceUnpostedHours' | 'remittanceUnpostedHours' | 'paymentUnpostedHours'
  >,
  kinds: readonly UnpostedDocument['kind'][] = ['invoice'],
): UnpostedBreach[] {
  return unposted.flatMap((document) => {
    const thresholdHours = unpostedThresholdHours(document.kind, thresholds);
    if (!kinds.includes(document.kind)) return [];
    if (document.why !== 'pending' || document.ageMs <= thresholdHours * HOUR_MS) return [];
    const hours = Math.floor(document.ageMs / HOUR_MS);
    return [
      {
        document,
        key: unpostedKey(document),
        team: 'integration' as const,
        thresholdHours,
        reason: `accepted ${document.kind} ${document.id} not in Odoo after ${hours} h (threshold ${thresholdHours} h); ${formatCents(document.amountCents)} at stake`,
      },
    ];
  });
}

/** The `unposted:<kind>:<id>` exceptions whose document has since been booked: cleared by the sweeper. */
export function clearedUnpostedKeys(
  snapshot: Pick<EncounterSnapshot, 'remittances' | 'payments' | 'odooInvoices'>,
  openKeys: readonly string[],
): string[] {
  return openKeys.filter((key) => {
    const match = /^unposted:(invoice|remittance|payment):(.+)$/.exec(key);
    if (!match) return false;
    const [, kind, id] = match as unknown as [string, UnpostedDocument['kind'], string];
    const booked =
      kind === 'invoice'
        ? snapshot.odooInvoices
        : kind === 'remittance'
          ? snapshot.remittances
          : snapshot.payments;
    return booked[id] !== undefined;
  });
}
