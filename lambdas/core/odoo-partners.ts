import type { PatientUpserted, PayerUpserted } from './master-data.js';
import { partnerRef } from './odoo-posting.js';

/** res.partner values for a surviving master record; the `ref` carries the canonical id (the crosswalk key). */
export function masterPartnerValues(kind: 'patient', record: PatientUpserted): Record<string, unknown>;
export function masterPartnerValues(kind: 'payer', record: PayerUpserted): Record<string, unknown>;
export function masterPartnerValues(
  kind: 'patient' | 'payer',
  record: PatientUpserted | PayerUpserted,
): Record<string, unknown> {
  const id = kind === 'patient' ? (record as PatientUpserted).patientId : (record as PayerUpserted).payerId;
  const address = record.address;
  return {
    name: record.name,
    ref: partnerRef({ kind, id }),
    is_company: kind === 'payer',
    company_type: kind === 'payer' ? 'company' : 'person',
    customer_rank: 1,
    ...(kind === 'patient' && (record as PatientUpserted).email
      ? { email: (record as PatientUpserted).email }
      : {}),
    ...(kind === 'patient' && (record as PatientUpserted).phone
      ? { phone: (record as PatientUpserted).phone }
      : {}),
    ...(address
      ? {
          street: address.line1,
          street2: address.line2 ?? false,
          city: address.city,
          zip: address.postalCode,
        }
      : {}),
  };
}
