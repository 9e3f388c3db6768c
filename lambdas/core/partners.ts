import * as z from 'zod';
import { EXCEPTION_TEAMS, type ExceptionTeam } from './exception-keys.js';
import { PartnerId } from './identifiers.js';

/**
 * Who may see and change what (docs/security.md). Every OAuth client is registered with a role (a scope
 * bundle, wiring.ts `roleScopes`) and is bound to the facilities it acts for; a clearinghouse or gateway is
 * bound to the payers (or merchants) it speaks for too, and a person's role to the exception teams it works.
 * The decisions here are pure; handlers look the caller up in the registry and enforce them.
 *
 * Ownership: an encounter belongs to the facility of its first accepted document (the workflow records it),
 * a patient or payer record to the facility of the client that first wrote it. After that, a document
 * naming the same id for another facility is refused (403), and a read by a client that cannot see the
 * owner answers 404 — so business ids never collide across partners: the first owner keeps the id.
 */
export const ROLES = [
  'partner',
  'finance-operations',
  'billing',
  'integration-support',
  'auditor',
  'automation',
  /** The local runtime's all-scope development client only; refused in every deployed stage. */
  'developer',
] as const;
export type Role = (typeof ROLES)[number];

/** `*` means every facility (or payer, or team). */
export const ALL = '*';

const Binding = z.union([z.literal(ALL), z.array(PartnerId).min(1)]);

export const PartnerClient = z
  .object({
    /** Cognito app client id (cloud) or the local client id. */
    clientId: z.string().min(1).max(128),
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,47}$/, 'must be 2-48 lower-case letters, digits or dashes')
      .meta({ description: 'Stable name, used for the Cognito client and the usage plan' }),
    role: z.enum(ROLES),
    facilities: Binding,
    /** A clearinghouse or gateway: only documents about these payers. Absent: no payer restriction. */
    payers: z.array(PartnerId).min(1).optional(),
    /** Exception teams whose exceptions the client may resolve or retry; absent: the role's default. */
    teams: z.union([z.literal(ALL), z.array(z.enum(EXCEPTION_TEAMS)).min(1)]).optional(),
  })
  .strict();
export type PartnerClient = z.infer<typeof PartnerClient>;

/** The caller as the handlers see it. */
export interface Principal {
  clientId: string;
  name: string;
  role: Role;
  facilities: typeof ALL | readonly string[];
  payers: typeof ALL | readonly string[];
  teams: typeof ALL | readonly ExceptionTeam[];
}

/** Which team's exceptions each role works by default (billing denials, finance money, integration plumbing). */
const DEFAULT_TEAMS: Record<Role, typeof ALL | readonly ExceptionTeam[]> = {
  partner: [],
  'finance-operations': ['finance'],
  billing: ['billing'],
  'integration-support': ['integration'],
  auditor: [],
  automation: ALL,
  developer: ALL,
};

export function principalOf(client: PartnerClient): Principal {
  return {
    clientId: client.clientId,
    name: client.name,
    role: client.role,
    facilities: client.facilities,
    payers: client.payers ?? ALL,
    teams: client.teams ?? DEFAULT_TEAMS[client.role],
  };
}

export function seesFacility(principal: Principal, facilityId: string | undefined | null): boolean {
  if (principal.facilities === ALL) return true;
  return facilityId !== undefined && facilityId !== null && principal.facilities.includes(facilityId);
}

export function seesPayer(principal: Principal, payerId: string | undefined): boolean {
  if (principal.payers === ALL) return true;
  return payerId !== undefined && principal.payers.includes(payerId);
}

export function worksTeam(principal: Principal, team: ExceptionTeam): boolean {
  return principal.teams === ALL || principal.teams.includes(team);
}

/** The facility list a query must be limited to, or undefined when the caller sees every facility. */
export function visibleFacilities(principal: Principal): readonly string[] | undefined {
  return principal.facilities === ALL ? undefined : principal.facilities;
}

export type Decision = { allowed: true } | { allowed: false; reason: string };
const allow: Decision = { allowed: true };
const deny = (reason: string): Decision => ({ allowed: false, reason });

/** What a write names, and who already owns what it names (undefined: nobody yet). */
export interface WriteSubject {
  /** The facility the document says it is for (encounter documents). */
  facilityId?: string;
  /** The facility that owns the encounter, patient, payer or claim it touches, when already owned. */
  ownerFacilities?: readonly (string | null)[];
  /** Payers the document is about (claims, statuses, remittances, payer payments, payer upserts). */
  payerIds?: readonly string[];
}

/**
 * May `principal` write a document about `subject`? Refused when the document is for a facility the
 * caller does not act for, when what it touches already belongs to another facility, or when a payer-bound
 * client (clearinghouse, gateway) speaks for a payer it is not bound to.
 */
export function decideWrite(principal: Principal, subject: WriteSubject): Decision {
  if (subject.facilityId !== undefined && !seesFacility(principal, subject.facilityId))
    return deny(`This client does not act for facility ${subject.facilityId}.`);
  for (const owner of subject.ownerFacilities ?? []) {
    if (owner === null) {
      if (principal.facilities !== ALL) return deny('The record belongs to another facility.');
      continue;
    }
    if (!seesFacility(principal, owner)) return deny('The record belongs to another facility.');
    if (subject.facilityId !== undefined && owner !== subject.facilityId)
      return deny(`The record belongs to another facility than ${subject.facilityId}.`);
  }
  for (const payerId of subject.payerIds ?? []) {
    if (!seesPayer(principal, payerId)) return deny(`This client does not act for payer ${payerId}.`);
  }
  return allow;
}

/**
 * The facility a master record (patient, payer) written by `principal` is owned by: the one named, or the
 * caller's only facility; `null` (owned by nobody, visible only to all-facility roles) for an all-facility
 * caller that names none. A caller bound to several facilities must name one.
 */
export function masterRecordOwner(
  principal: Principal,
  named: string | undefined,
): { ok: true; facilityId: string | null } | { ok: false; reason: string } {
  if (named !== undefined) {
    return seesFacility(principal, named)
      ? { ok: true, facilityId: named }
      : { ok: false, reason: `This client does not act for facility ${named}.` };
  }
  if (principal.facilities === ALL) return { ok: true, facilityId: null };
  if (principal.facilities.length === 1) return { ok: true, facilityId: principal.facilities[0] as string };
  return { ok: false, reason: 'This client acts for several facilities: name one in facilityId.' };
}

/** May `principal` see something owned by `ownerFacility` (null: owned by nobody) about `payerIds`? */
export function mayRead(
  principal: Principal,
  ownerFacility: string | null | undefined,
  payerIds: readonly string[] = [],
): boolean {
  if (principal.facilities !== ALL && !seesFacility(principal, ownerFacility)) return false;
  if (principal.payers !== ALL && payerIds.length > 0 && !payerIds.some((p) => seesPayer(principal, p)))
    return false;
  return true;
}

/** Registry as stage config and the local file hold it: unique names and client ids, partners bound. */
export const PartnerRegistry = z.array(PartnerClient).superRefine((clients, ctx) => {
  const seen = new Set<string>();
  clients.forEach((client, index) => {
    for (const key of [`id:${client.clientId}`, `name:${client.name}`]) {
      if (seen.has(key))
        ctx.addIssue({ code: 'custom', path: [index], message: `duplicate ${key.replace(':', ' ')}` });
      seen.add(key);
    }
    if (client.role === 'partner' && client.facilities === ALL)
      ctx.addIssue({
        code: 'custom',
        path: [index, 'facilities'],
        message: 'a partner client must be bound to named facilities',
      });
  });
});
export type PartnerRegistry = z.infer<typeof PartnerRegistry>;

/** What an accepted business event touches, for `decideWrite` (pure: from the canonical data alone). */
export interface EventSubject {
  facilityId?: string;
  encounterId?: string;
  /** A patient or payer record, and the facility the request named as its owner. */
  master?: { kind: 'patient' | 'payer'; id: string; facilityId?: string };
  payerIds: string[];
  /** A claim the event answers (status, remittance): its payer is checked against the claim index. */
  claimId?: string;
}

export function eventSubject(event: {
  eventType: string;
  data: unknown;
  encounter?: { encounterId: string; facilityId: string };
}): EventSubject {
  const data = (event.data ?? {}) as Record<string, unknown>;
  const str = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const party = (value: unknown) => {
    const p = value as { kind?: unknown; id?: unknown } | undefined;
    return p?.kind === 'payer' && typeof p.id === 'string' ? [p.id] : [];
  };
  const subject: EventSubject = {
    ...(event.encounter ?? {}),
    payerIds: [],
  };
  switch (event.eventType) {
    case 'PatientUpserted':
    case 'PayerUpserted': {
      const kind = event.eventType === 'PatientUpserted' ? 'patient' : 'payer';
      const id = str(data[`${kind}Id`]) ?? '';
      const facilityId = str(data.facilityId);
      subject.master = { kind, id, ...(facilityId ? { facilityId } : {}) };
      if (kind === 'payer') subject.payerIds.push(id);
      break;
    }
    case 'ClaimSubmitted':
    case 'RemittanceReceived': {
      const payerId = str(data.payerId);
      if (payerId) subject.payerIds.push(payerId);
      const claimId = str(data.claimId);
      if (claimId && event.eventType === 'RemittanceReceived') subject.claimId = claimId;
      break;
    }
    case 'ClaimStatusChanged': {
      const claimId = str(data.claimId);
      if (claimId) subject.claimId = claimId;
      break;
    }
    case 'PaymentReceived':
      subject.payerIds.push(...party(data.payer));
      break;
    case 'InvoiceIssued':
      subject.payerIds.push(...party(data.billTo));
      break;
  }
  return subject;
}

/**
 * May a subscriber see this event (webhook fan-out and delivery)? By the facility the envelope carries (an
 * event without one — integration plumbing — only for all-facility clients) and, for a payer-bound client,
 * the payer the event names.
 */
export function eventVisibleTo(
  principal: Principal,
  envelope: { type: string; facilityId?: string; data?: unknown },
): boolean {
  const data = (envelope.data ?? {}) as Record<string, unknown>;
  const payer = data.payer as { kind?: unknown; id?: unknown } | undefined;
  const payerIds = [
    ...(typeof data.payerId === 'string' ? [data.payerId] : []),
    ...(payer?.kind === 'payer' && typeof payer.id === 'string' ? [payer.id] : []),
  ];
  return mayRead(principal, envelope.facilityId ?? null, payerIds);
}
