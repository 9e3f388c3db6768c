import * as z from 'zod';
import { CalendarDate, PartnerId } from './identifiers.js';

/**
 * Patients and payers are master data: upserted as Odoo partners (payers as companies) and kept in a
 * crosswalk. Survivorship when two sources disagree: the record with the later `sourceUpdatedAt` wins field
 * by field; a field the newer record leaves out keeps its value; on a tie the more authoritative source wins
 * (SOURCE_AUTHORITY: the EHR owns demographics, then billing, then clearinghouse and gateway).
 */
export const SOURCE_AUTHORITY = ['ehr', 'billing', 'clearinghouse', 'gateway'] as const;
export const SourceSystem = z.enum(SOURCE_AUTHORITY);

const Provenance = {
  /** The facility that owns the record (docs/security.md#ownership); needed when a client acts for several. */
  facilityId: PartnerId.optional().meta({
    description: 'Owning facility; required when the client acts for several facilities',
  }),
  sourceSystem: SourceSystem,
  sourceUpdatedAt: z.iso
    .datetime({ offset: true })
    .meta({ description: 'When the source last changed the record (ISO 8601 with zone)' }),
};

export const PostalAddress = z
  .object({
    line1: z.string().trim().min(1).max(120),
    line2: z.string().trim().max(120).optional(),
    city: z.string().trim().min(1).max(80),
    state: z.string().regex(/^[A-Z]{2}$/, 'must be a two-letter state code'),
    postalCode: z.string().regex(/^\d{5}(-\d{4})?$/, 'must be a ZIP or ZIP+4'),
  })
  .strict();

export const PatientUpsertRequest = z
  .object({
    name: z.string().trim().min(1).max(200),
    birthDate: CalendarDate.optional(),
    email: z.email().optional(),
    phone: z
      .string()
      .regex(/^\+?[0-9 ().-]{7,20}$/, 'must be a phone number')
      .optional(),
    address: PostalAddress.optional(),
    ...Provenance,
  })
  .strict()
  .meta({
    id: 'PatientUpsertRequest',
    description: 'A patient as a source system knows them (PHI: kept out of logs).',
  });
export type PatientUpsertRequest = z.infer<typeof PatientUpsertRequest>;

export const PayerUpsertRequest = z
  .object({
    name: z.string().trim().min(1).max(200),
    payerType: z.enum(['commercial', 'medicare', 'medicaid', 'tricare', 'workers_comp', 'self_pay', 'other']),
    /** The payer's id on claims (e.g. an 837 NM1*PR identifier). */
    payerIdentifier: z.string().trim().min(1).max(80).optional(),
    address: PostalAddress.optional(),
    ...Provenance,
  })
  .strict()
  .meta({ id: 'PayerUpsertRequest' });
export type PayerUpsertRequest = z.infer<typeof PayerUpsertRequest>;

export const PatientUpserted = PatientUpsertRequest.extend({ patientId: z.string() }).meta({
  id: 'PatientUpserted',
});
export type PatientUpserted = z.infer<typeof PatientUpserted>;
export const PayerUpserted = PayerUpsertRequest.extend({ payerId: z.string() }).meta({ id: 'PayerUpserted' });
export type PayerUpserted = z.infer<typeof PayerUpserted>;

type MasterRecord = { sourceSystem: (typeof SOURCE_AUTHORITY)[number]; sourceUpdatedAt: string } & Record<
  string,
  unknown
>;

/** Does `incoming` outrank `current`? Later change wins; on the same instant, the more authoritative source. */
export function outranks(incoming: MasterRecord, current: MasterRecord | undefined): boolean {
  if (!current) return true;
  const incomingAt = Date.parse(incoming.sourceUpdatedAt);
  const currentAt = Date.parse(current.sourceUpdatedAt);
  if (incomingAt !== currentAt) return incomingAt > currentAt;
  return SOURCE_AUTHORITY.indexOf(incoming.sourceSystem) <= SOURCE_AUTHORITY.indexOf(current.sourceSystem);
}

/** The surviving record: fields of the winner over the loser's, absent fields never erase present ones. */
export function survivingRecord<T extends MasterRecord>(current: T | undefined, incoming: T): T {
  if (!current) return incoming;
  const [winner, loser] = outranks(incoming, current) ? [incoming, current] : [current, incoming];
  const merged: Record<string, unknown> = { ...loser };
  for (const [key, value] of Object.entries(winner)) if (value !== undefined) merged[key] = value;
  return merged as T;
}
