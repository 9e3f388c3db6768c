import * as z from 'zod';
import { CalendarDate, PartnerId } from './identifiers.js';
import { CodeSystem } from './invoice.js';
import { DecimalAmount, parseCents } from './money.js';

/** The encounter's charges once coding is final: what the claim and invoice will bill. */
export const ChargeLineRequest = z
  .object({
    code: z.string().regex(/^[A-Z0-9]{4,5}$/, 'must be a CPT/HCPCS (5) or revenue (4) code'),
    codeSystem: CodeSystem,
    units: z
      .number()
      .positive()
      .max(9_999)
      .refine((u) => /^\d+(\.\d{1,3})?$/.test(String(u)), 'must have at most three decimals'),
    amount: DecimalAmount.meta({ description: 'Line charge (units × price), as billed' }),
    serviceDate: CalendarDate,
    renderingProviderNpi: z.string().regex(/^\d{10}$/, 'must be a 10-digit NPI'),
  })
  .strict();

export const ChargeFinalizedRequest = z
  .object({
    chargeId: PartnerId,
    encounterId: PartnerId,
    facilityId: PartnerId,
    patientId: PartnerId,
    lines: z.array(ChargeLineRequest).min(1).max(500),
  })
  .strict()
  .meta({ id: 'ChargeFinalizedRequest' });
export type ChargeFinalizedRequest = z.infer<typeof ChargeFinalizedRequest>;

export const ChargeFinalized = z
  .object({
    chargeId: z.string(),
    encounterId: z.string(),
    facilityId: z.string(),
    patientId: z.string(),
    lines: z.array(
      z.object({
        code: z.string(),
        codeSystem: CodeSystem,
        units: z.number(),
        amountCents: z.number().int(),
        serviceDate: z.string(),
        renderingProviderNpi: z.string(),
      }),
    ),
    totalCents: z.number().int(),
  })
  .meta({ id: 'ChargeFinalized' });
export type ChargeFinalized = z.infer<typeof ChargeFinalized>;

export function toCanonicalCharge(request: ChargeFinalizedRequest): ChargeFinalized {
  const lines = request.lines.map(({ amount, ...line }) => ({ ...line, amountCents: parseCents(amount) }));
  return { ...request, lines, totalCents: lines.reduce((sum, line) => sum + line.amountCents, 0) };
}
