import type * as z from 'zod';
import type { ClaimStatus } from '../claim.js';
import type { EventType } from '../events.js';
import { type IntakeName, intakes } from '../intake.js';
import { formatCents } from '../money.js';
import { adjudicatedMoney, dollars } from './adjudication.js';
import { type CodeableConcept, codesOf, codingOf } from './datatypes.js';
import { type FhirIssue, fhirPath, issue } from './outcome.js';
import {
  calendarDate,
  isIssue,
  type LocalIds,
  moneyCents,
  ownIdentifier,
  referencedId,
  refersTo,
} from './references.js';
import {
  type AcceptedResource,
  type ChargeItem,
  ChargeItem as ChargeItemSchema,
  type Claim,
  type ClaimResponse,
  type Invoice,
  type PaymentReconciliation,
} from './resources.js';
import {
  CLAIM_STATUS_CATEGORY_SYSTEM,
  CLAIM_STATUS_CODE_SYSTEM,
  CodeSystemUri,
  ENCOUNTER_EXTENSION,
  HubSystem,
  PAYMENT_TYPE_SYSTEM,
} from './systems.js';

/**
 * FHIR R4 resources → the hub's canonical business events. Each mapping builds the same JSON request a
 * partner would send to /v1/… and runs it through that route's intake (core/intake.ts): one set of rules
 * (ids, dates, amounts, balancing) for every format, and FHIR errors that point at the FHIR element.
 * Pure: what the hub already knows (claims, remittances) is looked up by the handler and passed in.
 */

/** What the hub knows about a claim (the claim index, lambdas/adapters/dynamodb/workflow-store.ts). */
export interface KnownClaim {
  claimId: string;
  encounterId: string;
  facilityId: string;
  payerId: string;
  invoiceIds: string[];
  billedCents: number;
}

export interface MappingContext {
  /** Claims by claim id, every match (a claim id may repeat across encounters). */
  claims: ReadonlyMap<string, readonly KnownClaim[]>;
  /** Remittances already accepted, by remittance id, with what they paid and the event that carried them. */
  remittances: ReadonlyMap<string, { paidCents: number; eventId?: string }>;
  /**
   * The event id this very request would give an event (accept-events.ts): a remittance this request itself
   * accepted before (a retry) is not "already accepted elsewhere".
   */
  eventIdFor?: (eventType: EventType, discriminator: string) => string;
  /** Bundle entries' fullUrl → the business id of that entry's resource. */
  local: LocalIds;
}

export interface MappedEvent {
  eventType: EventType;
  intake: IntakeName;
  data: unknown;
  encounter: { encounterId: string; facilityId: string };
  partitionKey: string;
  facts: Record<string, unknown>;
  /** Stable per document: tells the events of one request apart (accept-events.ts). */
  discriminator: string;
  location: string;
}

export interface Mapping {
  events: MappedEvent[];
  /** Errors refuse the resource; warnings and information are reported with the acceptance. */
  issues: FhirIssue[];
}

const error = (code: FhirIssue['code'], diagnostics: string, expression: string) =>
  issue('error', code, diagnostics, expression);

/** Runs a request through an intake: schema, canonical form, business rules, with FHIRPath locations. */
function throughIntake(
  name: IntakeName,
  request: Record<string, unknown>,
  locate: (path: ReadonlyArray<PropertyKey>) => string,
  discriminator: string,
): { event?: MappedEvent; issues: FhirIssue[] } {
  const intake = intakes[name];
  const parsed = intake.schema.safeParse(request);
  if (!parsed.success) {
    return {
      issues: (parsed.error as z.ZodError).issues.map((i) =>
        error(
          i.code === 'invalid_type' ? 'required' : 'value',
          `${i.path.join('.')}: ${i.message}`,
          locate(i.path),
        ),
      ),
    };
  }
  const data = intake.toCanonical(parsed.data as never, {});
  const violations = intake.violations?.(data) ?? [];
  if (violations.length > 0) {
    return {
      issues: violations.map((v) =>
        error('business-rule', v.message, locate(v.path.split('/').filter(Boolean))),
      ),
    };
  }
  const encounter = intake.encounter(data);
  if (!encounter) throw new Error(`intake ${name} has no encounter`);
  return {
    event: {
      eventType: intake.eventType,
      intake: name,
      data,
      encounter,
      partitionKey: intake.partitionKey(data),
      facts: intake.facts(data),
      discriminator,
      location: intake.location(data),
    },
    issues: [],
  };
}

function resolveClaim(
  claimId: string | undefined,
  ctx: MappingContext,
  expression: string,
  reference?: { reference?: string },
): KnownClaim | FhirIssue {
  if (claimId === undefined)
    return reference === undefined
      ? error(
          'required',
          'names no claim: give Reference.identifier (our claim id) or a literal Claim/{id} reference',
          expression,
        )
      : error(
          'not-found',
          `${reference.reference ?? 'the reference'} names no claim the hub can resolve: give Reference.identifier (our claim id) or a literal [base]/Claim/{id}`,
          expression,
        );
  const matches = ctx.claims.get(claimId) ?? [];
  if (matches.length === 0)
    return error(
      'not-found',
      `claim ${claimId} is not known to the hub; submit the claim first (POST /v1/claims or /fhir/r4/Claim), then resend`,
      expression,
    );
  if (matches.length > 1)
    return error(
      'multiple-matches',
      `claim id ${claimId} names ${matches.length} encounters (${matches.map((m) => m.encounterId).join(', ')}); the hub will not guess which`,
      expression,
    );
  return matches[0] as KnownClaim;
}

// ---------------------------------------------------------------------------------------------- Claim

export function mapClaim(claim: Claim, root: string, ctx: MappingContext): Mapping {
  const issues: FhirIssue[] = [];
  if (claim.status !== 'active')
    issues.push(
      error(
        'business-rule',
        `a ${claim.status} claim is not booked; the hub books active claims`,
        `${root}.status`,
      ),
    );
  if (claim.use !== 'claim')
    issues.push(
      error(
        'not-supported',
        `use ${claim.use} is not booked; the hub books claims (use = claim)`,
        `${root}.use`,
      ),
    );
  const id = ownIdentifier(claim.identifier, HubSystem.claim);
  if (!id) issues.push(error('required', 'a claim needs an identifier (our claim id)', `${root}.identifier`));

  const encounters = new Map<string, string>();
  (claim.item ?? []).forEach((item, i) =>
    (item.encounter ?? []).forEach((ref, j) => {
      const encounterId = referencedId(ref, 'Encounter', ctx.local);
      if (encounterId !== undefined && !encounters.has(encounterId))
        encounters.set(encounterId, `${root}.item[${i}].encounter[${j}]`);
    }),
  );
  if (encounters.size === 0)
    issues.push(error('required', 'no item names its encounter (Claim.item.encounter)', `${root}.item`));
  if (encounters.size > 1)
    issues.push(
      error(
        'business-rule',
        `a claim bills one encounter; the items name ${[...encounters.keys()].join(', ')}`,
        `${root}.item`,
      ),
    );
  const facilityId = referencedId(claim.facility, 'Location', ctx.local);
  if (facilityId === undefined)
    issues.push(error('required', 'the facility (Claim.facility) is missing', `${root}.facility`));
  const payerId = referencedId(claim.insurer, 'Organization', ctx.local);
  if (payerId === undefined)
    issues.push(error('required', 'the payer (Claim.insurer) is missing', `${root}.insurer`));

  const invoices: Array<{ id: string; index: number }> = [];
  (claim.supportingInfo ?? []).forEach((info, index) => {
    if (!refersTo(info.valueReference, 'Invoice', HubSystem.invoice, ctx.local)) return;
    const invoiceId = referencedId(info.valueReference, 'Invoice', ctx.local);
    if (invoiceId !== undefined) invoices.push({ id: invoiceId, index });
  });
  if (invoices.length === 0)
    issues.push(
      error(
        'required',
        'name the invoice(s) this claim bills as supportingInfo.valueReference to an Invoice (R4 Claim has no invoice element)',
        `${root}.supportingInfo`,
      ),
    );

  let billedCents: number | undefined;
  const netTotal = (claim.item ?? []).reduce<number | undefined>((sum, item, i) => {
    if (item.net === undefined) return sum;
    const cents = moneyCents(item.net, `${root}.item[${i}].net`);
    if (isIssue(cents)) {
      issues.push(cents);
      return sum;
    }
    return (sum ?? 0) + cents;
  }, undefined);
  if (claim.total !== undefined) {
    const total = moneyCents(claim.total, `${root}.total`);
    if (isIssue(total)) issues.push(total);
    else {
      billedCents = total;
      if (netTotal !== undefined && netTotal !== total)
        issues.push(
          error(
            'business-rule',
            `total ${dollars(total)} differs from the items' net ${dollars(netTotal)}`,
            `${root}.total`,
          ),
        );
    }
  } else billedCents = netTotal;
  if (billedCents === undefined && claim.total === undefined)
    issues.push(error('required', 'the billed amount (Claim.total or item.net) is missing', `${root}.total`));
  if (issues.length > 0 || !id || billedCents === undefined) return { events: [], issues };

  const [encounterId, encounterPath] = [...encounters.entries()][0] as [string, string];
  const locate = (path: ReadonlyArray<PropertyKey>): string => {
    switch (path[0]) {
      case 'claimId':
        return `${root}.identifier[${id.index}].value`;
      case 'encounterId':
        return encounterPath;
      case 'facilityId':
        return `${root}.facility`;
      case 'payerId':
        return `${root}.insurer`;
      case 'invoiceIds':
        return `${root}.supportingInfo[${invoices[Number(path[1] ?? 0)]?.index ?? 0}].valueReference`;
      case 'billedAmount':
        return claim.total ? `${root}.total.value` : `${root}.item`;
      case 'submittedDate':
        return `${root}.created`;
      default:
        return root;
    }
  };
  const { event, issues: intakeIssues } = throughIntake(
    'submitClaim',
    {
      claimId: id.value,
      encounterId,
      facilityId,
      payerId,
      invoiceIds: invoices.map((i) => i.id),
      billedAmount: billedCents < 0 ? String(billedCents) : formatCents(billedCents),
      submittedDate: calendarDate(claim.created) ?? claim.created,
      claimFrequency: '1',
    },
    locate,
    `Claim/${id.value}`,
  );
  return { events: event ? [event] : [], issues: intakeIssues };
}

// -------------------------------------------------------------------------------------------- Invoice

const PROCEDURE_SYSTEMS: Array<{ system: 'CPT' | 'HCPCS' | 'REV'; uris: readonly string[] }> = [
  { system: 'CPT', uris: CodeSystemUri.cpt },
  { system: 'HCPCS', uris: CodeSystemUri.hcpcs },
  { system: 'REV', uris: CodeSystemUri.revenue },
];

function procedureCode(concept: CodeableConcept | undefined) {
  for (const { system, uris } of PROCEDURE_SYSTEMS) {
    const found = codingOf(concept, uris);
    if (found) return { ...found, codeSystem: system };
  }
  return undefined;
}

export function mapInvoice(invoice: Invoice, root: string, ctx: MappingContext): Mapping {
  const issues: FhirIssue[] = [];
  if (invoice.status !== 'issued')
    issues.push(
      error(
        'business-rule',
        `a ${invoice.status} invoice is not booked; the hub books issued invoices`,
        `${root}.status`,
      ),
    );
  const id = ownIdentifier(invoice.identifier, HubSystem.invoice);
  if (!id)
    issues.push(error('required', 'an invoice needs an identifier (our invoice id)', `${root}.identifier`));

  const contained = new Map<string, ChargeItem>();
  for (const resource of invoice.contained ?? []) {
    const parsed = ChargeItemSchema.safeParse(resource);
    if (parsed.success && parsed.data.id) contained.set(`#${parsed.data.id}`, parsed.data);
  }
  const chargeItemOf = (i: number) => {
    const ref = invoice.lineItem?.[i]?.chargeItemReference?.reference;
    return ref === undefined ? undefined : contained.get(ref);
  };

  // The encounter: our extension on the Invoice, else the contained ChargeItems' context.
  let encounterId: string | undefined;
  let encounterPath = `${root}.extension`;
  const extensionIndex = (invoice.extension ?? []).findIndex((e) => e.url === ENCOUNTER_EXTENSION);
  if (extensionIndex >= 0) {
    encounterId = referencedId(invoice.extension?.[extensionIndex]?.valueReference, 'Encounter', ctx.local);
    encounterPath = `${root}.extension[${extensionIndex}].valueReference`;
  } else {
    const contexts = new Set(
      (invoice.lineItem ?? []).flatMap((_, i) => {
        const context = referencedId(chargeItemOf(i)?.context, 'Encounter', ctx.local);
        return context === undefined ? [] : [context];
      }),
    );
    if (contexts.size > 1)
      issues.push(
        error(
          'business-rule',
          `an invoice bills one encounter; its charge items name ${[...contexts].join(', ')}`,
          `${root}.contained`,
        ),
      );
    encounterId = [...contexts][0];
    encounterPath = `${root}.contained`;
  }
  if (encounterId === undefined)
    issues.push(
      error(
        'required',
        `R4 Invoice has no encounter element: name it with the extension ${ENCOUNTER_EXTENSION} (valueReference) or a contained ChargeItem.context`,
        `${root}.extension`,
      ),
    );
  const facilityId = referencedId(invoice.issuer, 'Organization', ctx.local);
  if (facilityId === undefined)
    issues.push(error('required', 'the issuing facility (Invoice.issuer) is missing', `${root}.issuer`));

  const recipient = invoice.recipient ?? invoice.subject;
  const recipientPath = invoice.recipient ? `${root}.recipient` : `${root}.subject`;
  const isPatient =
    refersTo(recipient, 'Patient', HubSystem.patient) &&
    !refersTo(recipient, 'Organization', HubSystem.payer);
  const billToId = referencedId(recipient, isPatient ? 'Patient' : 'Organization', ctx.local);
  if (billToId === undefined)
    issues.push(
      error(
        'required',
        'whom the invoice bills (Invoice.recipient: Organization or Patient) is missing',
        `${root}.recipient`,
      ),
    );
  if (!invoice.date)
    issues.push(error('required', 'the issue date (Invoice.date) is missing', `${root}.date`));

  const lines: Array<Record<string, unknown>> = [];
  let linesCents = 0;
  (invoice.lineItem ?? []).forEach((line, i) => {
    const where = `${root}.lineItem[${i}]`;
    const chargeItem = chargeItemOf(i);
    const concept = line.chargeItemCodeableConcept ?? chargeItem?.code;
    const code = procedureCode(concept);
    if (!code) {
      issues.push(
        error(
          'code-invalid',
          'no CPT, HCPCS or NUBC revenue code in the charge item (see docs/fhir.md#code-systems)',
          `${where}.chargeItemCodeableConcept`,
        ),
      );
      return;
    }
    const components = line.priceComponent ?? [];
    const unsupported = components.findIndex((c) => c.type !== 'base' && c.type !== 'informational');
    if (unsupported >= 0) {
      issues.push(
        error(
          'not-supported',
          `a ${components[unsupported]?.type} price component is not booked: send net line prices (payer reductions arrive as adjustments)`,
          `${where}.priceComponent[${unsupported}]`,
        ),
      );
      return;
    }
    const bases = components.flatMap((c, j) => (c.type === 'base' ? [{ c, j }] : []));
    if (bases.length !== 1) {
      issues.push(
        error('required', 'a line needs exactly one base price component', `${where}.priceComponent`),
      );
      return;
    }
    const { c: base, j } = bases[0] as { c: (typeof components)[number]; j: number };
    const amount = moneyCents(base.amount, `${where}.priceComponent[${j}].amount`);
    if (isIssue(amount)) {
      issues.push(amount);
      return;
    }
    // R4: `amount` is the calculated amount of the component and `factor` what was applied to the base
    // price, i.e. the quantity; a contained ChargeItem's quantity serves when no factor is given.
    const quantity = base.factor ?? chargeItem?.quantity?.value ?? 1;
    const unitCents = Math.round(amount / quantity);
    if (!Number.isFinite(unitCents) || Math.abs(unitCents * quantity - amount) > 1e-6) {
      issues.push(
        error(
          'business-rule',
          `${dollars(amount)} is not a whole number of cents per unit for quantity ${quantity}`,
          `${where}.priceComponent[${j}].factor`,
        ),
      );
      return;
    }
    linesCents += amount;
    lines.push({
      code: code.coding.code,
      codeSystem: code.codeSystem,
      description: code.coding.display ?? concept?.text ?? code.coding.code,
      quantity,
      unitPrice: unitCents < 0 ? String(unitCents) : formatCents(unitCents),
    });
  });
  for (const key of ['totalNet', 'totalGross'] as const) {
    const money = invoice[key];
    if (money === undefined) continue;
    const total = moneyCents(money, `${root}.${key}`);
    if (isIssue(total)) issues.push(total);
    else if (total !== linesCents && lines.length === (invoice.lineItem ?? []).length)
      issues.push(
        error(
          'business-rule',
          `${key} ${dollars(total)} differs from the lines' ${dollars(linesCents)}`,
          `${root}.${key}`,
        ),
      );
  }
  if (issues.length > 0 || !id) return { events: [], issues };

  const locate = (path: ReadonlyArray<PropertyKey>): string => {
    switch (path[0]) {
      case 'invoiceId':
        return `${root}.identifier[${id.index}].value`;
      case 'encounterId':
        return encounterPath;
      case 'facilityId':
        return `${root}.issuer`;
      case 'issueDate':
        return `${root}.date`;
      case 'billTo':
        return recipientPath;
      case 'lines':
        return path.length > 1 ? fhirPath(`${root}.lineItem`, [path[1] as number]) : `${root}.lineItem`;
      default:
        return root;
    }
  };
  const { event, issues: intakeIssues } = throughIntake(
    'submitInvoice',
    {
      invoiceId: id.value,
      encounterId,
      facilityId,
      issueDate: calendarDate(invoice.date) ?? invoice.date,
      currency: 'USD',
      billTo: { kind: isPatient ? 'patient' : 'payer', id: billToId, name: recipient?.display ?? billToId },
      lines,
    },
    locate,
    `Invoice/${id.value}`,
  );
  return { events: event ? [event] : [], issues: intakeIssues };
}

// ------------------------------------------------------------------------------------- ClaimResponse

/** X12 277 codes a ClaimResponse carries in `error.code` (STC01-1 category, STC01-2 status), if any. */
function payerStatusCodes(response: ClaimResponse): Array<{ category: string; code?: string }> {
  return (response.error ?? [])
    .flatMap((e) => {
      const category = codesOf(e.code, [CLAIM_STATUS_CATEGORY_SYSTEM])[0];
      const code = codesOf(e.code, [CLAIM_STATUS_CODE_SYSTEM])[0];
      return category === undefined ? [] : [{ category, ...(code === undefined ? {} : { code }) }];
    })
    .slice(0, 10);
}

export function mapClaimResponse(response: ClaimResponse, root: string, ctx: MappingContext): Mapping {
  const issues: FhirIssue[] = [];
  const notes: FhirIssue[] = [];
  if (response.status !== 'active')
    issues.push(
      error(
        'business-rule',
        `a ${response.status} ClaimResponse is not booked; send a reversal as an 835 (CLP02 22) or /v1/remittances`,
        `${root}.status`,
      ),
    );
  if (response.use !== 'claim')
    issues.push(
      error(
        'not-supported',
        `use ${response.use} is not booked; the hub books responses to claims`,
        `${root}.use`,
      ),
    );
  const id = ownIdentifier(response.identifier, HubSystem.remittance);
  if (!id)
    issues.push(
      error('required', "a ClaimResponse needs an identifier (the payer's id for it)", `${root}.identifier`),
    );
  const claim = resolveClaim(
    referencedId(response.request, 'Claim', ctx.local),
    ctx,
    `${root}.request`,
    response.request,
  );
  if (isIssue(claim)) issues.push(claim);
  const insurer = response.insurer.identifier;
  if (!isIssue(claim) && insurer?.system === HubSystem.payer && insurer.value !== claim.payerId)
    issues.push(
      error(
        'business-rule',
        `insurer ${insurer.value} is not the payer ${claim.payerId} the claim was submitted to`,
        `${root}.insurer`,
      ),
    );

  const money = adjudicatedMoney(response, root);
  issues.push(...money.issues);
  const carriesMoney = money.adjudicated || response.payment !== undefined;
  if (carriesMoney && response.outcome !== 'complete')
    issues.push(
      error(
        'business-rule',
        `an adjudication with outcome ${response.outcome} is not final; the hub books payments and adjustments of complete responses only`,
        `${root}.outcome`,
      ),
    );

  // The money of a complete adjudication, checked even when the claim is unknown: every reason at once.
  let settled: { billed: number; paid: number; adjustments: typeof money.adjustments } | undefined;
  if (carriesMoney && response.outcome === 'complete') {
    const paymentCents = response.payment
      ? moneyCents(response.payment.amount, `${root}.payment.amount`)
      : undefined;
    const adjustmentCents = response.payment?.adjustment
      ? moneyCents(response.payment.adjustment, `${root}.payment.adjustment`)
      : 0;
    if (isIssue(paymentCents)) issues.push(paymentCents);
    if (isIssue(adjustmentCents)) issues.push(adjustmentCents);
    else if (adjustmentCents !== 0)
      issues.push(
        error(
          'not-supported',
          `a payment adjustment unrelated to the claim (${dollars(adjustmentCents)}) is not booked with it; the hub books claim payments only`,
          `${root}.payment.adjustment`,
        ),
      );
    const payment = isIssue(paymentCents) ? undefined : paymentCents;
    const paid = money.paidCents ?? payment ?? 0;
    if (payment !== undefined && payment !== paid)
      issues.push(
        error(
          'business-rule',
          `payment.amount ${dollars(payment)} differs from the total benefit ${dollars(paid)} and no payment.adjustment explains the ${dollars(payment - paid)}`,
          `${root}.payment.amount`,
        ),
      );
    const billed = money.billedCents ?? (isIssue(claim) ? undefined : claim.billedCents);
    if (billed !== undefined) {
      const adjustments = [...money.adjustments];
      if (money.allowedCents !== undefined && billed - money.allowedCents !== 0)
        adjustments.unshift({
          group: 'CO',
          reason: money.allowedCarc ?? '45',
          amountCents: billed - money.allowedCents,
        });
      const explained = adjustments.reduce((sum, a) => sum + a.amountCents, 0);
      if (billed - paid !== explained) {
        const itemized =
          adjustments.map((a) => `${a.group}-${a.reason} ${dollars(a.amountCents)}`).join(', ') || 'none';
        issues.push(
          error(
            'business-rule',
            `does not balance: submitted ${dollars(billed)} − benefit ${dollars(paid)} = ${dollars(billed - paid)}, but the adjudications the hub can book explain ${dollars(explained)} (${itemized}); ${dollars(billed - paid - explained)} is unexplained`,
            response.total ? `${root}.total` : `${root}.item`,
          ),
        );
      }
      settled = { billed, paid, adjustments };
    }
  }
  if (issues.length > 0 || !id || isIssue(claim)) return { events: [], issues };

  const events: MappedEvent[] = [];
  const statusBase = {
    statusId: id.value,
    claimId: claim.claimId,
    encounterId: claim.encounterId,
    facilityId: claim.facilityId,
    payerCodes: payerStatusCodes(response),
    effectiveDate: calendarDate(response.payment?.date) ?? calendarDate(response.created) ?? response.created,
    payerClaimControlNumber: id.value,
  };
  let status: ClaimStatus;
  let remittance: Record<string, unknown> | undefined;
  if (response.outcome === 'queued' || response.outcome === 'partial') status = 'pended';
  else if (response.outcome === 'error') status = 'rejected';
  else if (!settled) status = 'accepted';
  else {
    const { billed, paid, adjustments } = settled;
    const patientCents = adjustments.filter((a) => a.group === 'PR').reduce((s, a) => s + a.amountCents, 0);
    const focal = (response.insurance ?? []).find((i) => i.focal)?.sequence ?? 1;
    const claimStatus = paid === 0 && patientCents === 0 ? '4' : String(Math.min(focal, 3));
    status = paid > 0 ? 'paid' : claimStatus === '4' ? 'denied' : 'accepted';
    remittance = {
      remittanceId: id.value,
      encounterId: claim.encounterId,
      facilityId: claim.facilityId,
      claimId: claim.claimId,
      payerId: claim.payerId,
      payerClaimControlNumber: id.value,
      claimStatus,
      billedAmount: signed(billed),
      paidAmount: signed(paid),
      adjustments: adjustments.map((a) => ({
        group: a.group,
        reason: a.reason,
        amount: signed(a.amountCents),
      })),
      payment: {
        // R4 ClaimResponse carries no payment method (R5 adds PaymentReconciliation.method): BOP, the
        // institution's option, says "not stated"; NON when nothing is paid. No trace → the response id.
        traceNumber: response.payment?.identifier?.value ?? id.value,
        method: paid === 0 ? 'NON' : 'BOP',
        date: statusBase.effectiveDate,
      },
    };
  }
  const otherCodes = (response.error ?? []).flatMap((e) => codesOf(e.code)).filter(Boolean);
  if (otherCodes.length > 0 && statusBase.payerCodes.length === 0)
    notes.push(
      issue(
        'information',
        'informational',
        `error codes ${otherCodes.join(', ')} are not X12 claim status codes; the canonical event carries X12 codes only, so they are not recorded`,
        `${root}.error`,
      ),
    );

  const statusResult = throughIntake(
    'submitClaimStatus',
    { ...statusBase, status },
    (path) =>
      path[0] === 'statusId' || path[0] === 'payerClaimControlNumber'
        ? `${root}.identifier[${id.index}].value`
        : root,
    `ClaimResponse/${id.value}/status`,
  );
  issues.push(...statusResult.issues);
  if (statusResult.event) events.push(statusResult.event);
  if (remittance) {
    const remittanceResult = throughIntake(
      'submitRemittance',
      remittance,
      (path) => {
        if (path[0] === 'remittanceId' || path[0] === 'payerClaimControlNumber')
          return `${root}.identifier[${id.index}].value`;
        if (path[0] === 'payment') return `${root}.payment`;
        if (path[0] === 'adjustments' || path[0] === 'patientResponsibility') return `${root}.item`;
        return response.total ? `${root}.total` : root;
      },
      `ClaimResponse/${id.value}/remittance`,
    );
    issues.push(...remittanceResult.issues);
    if (remittanceResult.event) events.push(remittanceResult.event);
  }
  return issues.length > 0 ? { events: [], issues } : { events, issues: notes };
}

const signed = (cents: number) => (cents < 0 ? `-${formatCents(-cents)}` : formatCents(cents));

// ----------------------------------------------------------------------------- PaymentReconciliation

/** What one PaymentReconciliation.detail says, before the hub looks anything up (also the outbound read-back). */
export interface PaymentDetail {
  index: number;
  type: string | undefined;
  claimId: string | undefined;
  /** Our remittance id: the detail identifier in our system, else the ClaimResponse it pays, else its identifier. */
  remittanceId: string | undefined;
  /** The payer's id for its adjudication: the ClaimResponse the detail pays, else the remittance id. */
  payerClaimControlNumber: string | undefined;
  paidCents: number | FhirIssue | undefined;
}

export interface PaymentFacts {
  traceNumber: string | undefined;
  paymentDate: string | undefined;
  paymentCents: number | FhirIssue;
  payerId: string | undefined;
  encounterId: string | undefined;
  details: PaymentDetail[];
}

export function paymentFacts(
  recon: PaymentReconciliation,
  root: string,
  local: LocalIds = new Map(),
): PaymentFacts {
  const encounterExtension = (
    recon as { extension?: Array<{ url: string; valueReference?: unknown }> }
  ).extension?.find((e) => e.url === ENCOUNTER_EXTENSION);
  return {
    traceNumber:
      recon.paymentIdentifier?.value ?? ownIdentifier(recon.identifier, HubSystem.paymentTrace)?.value,
    paymentDate: calendarDate(recon.paymentDate),
    paymentCents: moneyCents(recon.paymentAmount, `${root}.paymentAmount`),
    payerId: referencedId(recon.paymentIssuer, 'Organization', local),
    encounterId: referencedId(encounterExtension?.valueReference as never, 'Encounter', local),
    details: (recon.detail ?? []).map((detail, index) => {
      const response = referencedId(detail.response, 'ClaimResponse', local);
      const own = detail.identifier?.system === HubSystem.remittance ? detail.identifier.value : undefined;
      const remittanceId = own ?? response ?? detail.identifier?.value;
      return {
        index,
        type: codesOf(detail.type, [PAYMENT_TYPE_SYSTEM])[0] ?? codesOf(detail.type)[0],
        claimId: referencedId(detail.request, 'Claim', local),
        remittanceId,
        payerClaimControlNumber: response ?? remittanceId,
        paidCents:
          detail.amount === undefined
            ? undefined
            : moneyCents(detail.amount, `${root}.detail[${index}].amount`),
      };
    }),
  };
}

export function mapPaymentReconciliation(
  recon: PaymentReconciliation,
  root: string,
  ctx: MappingContext,
): Mapping {
  const issues: FhirIssue[] = [];
  const notes: FhirIssue[] = [];
  if (recon.status !== 'active')
    issues.push(
      error('business-rule', `a ${recon.status} PaymentReconciliation is not booked`, `${root}.status`),
    );
  if (recon.outcome !== undefined && recon.outcome !== 'complete')
    issues.push(
      error(
        'business-rule',
        `outcome ${recon.outcome}: the hub books completed reconciliations only`,
        `${root}.outcome`,
      ),
    );
  const facts = paymentFacts(recon, root, ctx.local);
  if (facts.traceNumber === undefined)
    issues.push(
      error('required', 'the payment trace (paymentIdentifier) is missing', `${root}.paymentIdentifier`),
    );
  if (isIssue(facts.paymentCents)) issues.push(facts.paymentCents);
  const paidDetails = facts.details.map((d) => d.paidCents);
  for (const cents of paidDetails) if (isIssue(cents)) issues.push(cents);
  const detailTotal = paidDetails.reduce<number>((sum, c) => sum + (typeof c === 'number' ? c : 0), 0);
  // R4 states no invariant tying paymentAmount to the details (unlike an 835's BPR02 = Σ CLP04 − Σ PLB), and the
  // hub books the claim payments of the details, not the deposit: a difference is reported, not refused.
  if (
    typeof facts.paymentCents === 'number' &&
    facts.details.length > 0 &&
    detailTotal !== facts.paymentCents
  )
    notes.push(
      issue(
        'warning',
        'business-rule',
        `paymentAmount ${dollars(facts.paymentCents)} differs from the ${dollars(detailTotal)} its details add up to; the ${dollars(facts.paymentCents - detailTotal)} not distributed to a claim is not booked`,
        `${root}.paymentAmount`,
      ),
    );

  const events: MappedEvent[] = [];
  const pending: Array<{ request: Record<string, unknown>; detail: PaymentDetail }> = [];
  for (const detail of facts.details) {
    const where = `${root}.detail[${detail.index}]`;
    if (detail.type !== 'payment') {
      notes.push(
        issue(
          'warning',
          'not-supported',
          `a detail of type ${detail.type ?? '(none)'} is a provider-level amount, not a claim payment; it is not booked (reconcile it in Odoo)`,
          where,
        ),
      );
      continue;
    }
    if (detail.claimId === undefined) {
      notes.push(
        issue(
          'warning',
          'not-supported',
          'this payment identifies no claim (detail.request); it is not booked',
          `${where}.request`,
        ),
      );
      continue;
    }
    const claim = resolveClaim(detail.claimId, ctx, `${where}.request`);
    if (isIssue(claim)) {
      issues.push(claim);
      continue;
    }
    if (detail.remittanceId === undefined) {
      issues.push(
        error(
          'required',
          'a claim payment needs detail.identifier or detail.response',
          `${where}.identifier`,
        ),
      );
      continue;
    }
    if (typeof detail.paidCents !== 'number') {
      if (detail.paidCents === undefined)
        issues.push(error('required', 'the paid amount is missing', `${where}.amount`));
      continue;
    }
    const discriminator = `PaymentReconciliation/${facts.traceNumber}/detail[${detail.index}]`;
    const found = ctx.remittances.get(detail.remittanceId);
    const known =
      found?.eventId !== undefined && found.eventId === ctx.eventIdFor?.('RemittanceReceived', discriminator)
        ? undefined
        : found;
    if (known) {
      if (known.paidCents !== detail.paidCents)
        issues.push(
          error(
            'conflict',
            `remittance ${detail.remittanceId} was accepted paying ${dollars(known.paidCents)}; this detail says ${dollars(detail.paidCents)}`,
            `${where}.amount`,
          ),
        );
      else
        notes.push(
          issue(
            'information',
            'informational',
            `remittance ${detail.remittanceId} was already accepted (its ClaimResponse); not booked twice`,
            where,
          ),
        );
      continue;
    }
    if (detail.paidCents !== claim.billedCents) {
      issues.push(
        error(
          'business-rule',
          `pays ${dollars(detail.paidCents)} on claim ${claim.claimId} billed ${dollars(claim.billedCents)}; a PaymentReconciliation carries no adjudication to explain the ${dollars(claim.billedCents - detail.paidCents)}, so send the ClaimResponse (booked as the remittance) first`,
          `${where}.amount`,
        ),
      );
      continue;
    }
    pending.push({
      detail,
      request: {
        remittanceId: detail.remittanceId,
        encounterId: claim.encounterId,
        facilityId: claim.facilityId,
        claimId: claim.claimId,
        payerId: claim.payerId,
        payerClaimControlNumber: detail.payerClaimControlNumber,
        claimStatus: '1',
        billedAmount: signed(claim.billedCents),
        paidAmount: signed(detail.paidCents),
        adjustments: [],
        payment: {
          traceNumber: facts.traceNumber,
          method: detail.paidCents === 0 ? 'NON' : 'BOP',
          date: facts.paymentDate,
        },
      },
    });
  }
  if (issues.length > 0) return { events: [], issues };
  for (const { request, detail } of pending) {
    const where = `${root}.detail[${detail.index}]`;
    const result = throughIntake(
      'submitRemittance',
      request,
      (path) => {
        if (path[0] === 'payment')
          return path[1] === 'date' ? `${root}.paymentDate` : `${root}.paymentIdentifier`;
        if (path[0] === 'remittanceId' || path[0] === 'payerClaimControlNumber') return `${where}.identifier`;
        return `${where}.amount`;
      },
      `PaymentReconciliation/${facts.traceNumber}/detail[${detail.index}]`,
    );
    issues.push(...result.issues);
    if (result.event) events.push(result.event);
  }
  return issues.length > 0 ? { events: [], issues } : { events, issues: notes };
}

// ------------------------------------------------------------------------------------------ dispatch

export function mapResource(resource: AcceptedResource, root: string, ctx: MappingContext): Mapping {
  switch (resource.resourceType) {
    case 'Claim':
      return mapClaim(resource, root, ctx);
    case 'Invoice':
      return mapInvoice(resource, root, ctx);
    case 'ClaimResponse':
      return mapClaimResponse(resource, root, ctx);
    case 'PaymentReconciliation':
      return mapPaymentReconciliation(resource, root, ctx);
  }
}

/** Claim ids a resource names, so the handler can look them up before mapping. */
export function claimIdsNamed(resource: AcceptedResource, local: LocalIds = new Map()): string[] {
  if (resource.resourceType === 'ClaimResponse') {
    const id = referencedId(resource.request, 'Claim', local);
    return id === undefined ? [] : [id];
  }
  if (resource.resourceType === 'PaymentReconciliation')
    return paymentFacts(resource, resource.resourceType, local).details.flatMap((d) =>
      d.claimId === undefined ? [] : [d.claimId],
    );
  return [];
}

/** Remittance ids a PaymentReconciliation pays, so the handler can find those already accepted. */
export function remittanceIdsNamed(resource: AcceptedResource, local: LocalIds = new Map()): string[] {
  if (resource.resourceType !== 'PaymentReconciliation') return [];
  return paymentFacts(resource, resource.resourceType, local).details.flatMap((d) =>
    d.remittanceId === undefined ? [] : [d.remittanceId],
  );
}

/** The business id a resource declares, for Bundle-local references to it (`fullUrl` → id). */
export function businessId(resource: AcceptedResource): string | undefined {
  const system = {
    Claim: HubSystem.claim,
    Invoice: HubSystem.invoice,
    ClaimResponse: HubSystem.remittance,
    PaymentReconciliation: HubSystem.paymentTrace,
  }[resource.resourceType];
  return ownIdentifier(resource.identifier, system)?.value;
}

/** A Claim accepted in the same Bundle as the responses that name it: known to them before it is booked. */
export function claimOf(event: MappedEvent): KnownClaim | undefined {
  if (event.eventType !== 'ClaimSubmitted') return undefined;
  const claim = event.data as KnownClaim;
  return {
    claimId: claim.claimId,
    encounterId: claim.encounterId,
    facilityId: claim.facilityId,
    payerId: claim.payerId,
    invoiceIds: claim.invoiceIds,
    billedCents: claim.billedCents,
  };
}
