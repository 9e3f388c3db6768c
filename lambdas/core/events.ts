import { z } from 'zod';
import { eventEnvelope } from './envelope.js';
import { InvoiceIssued } from './invoice.js';
import { WorkflowState } from './workflow.js';

/** Odoo record ids the hub linked to an encounter. */
export const OdooLinks = z.object({
  partnerId: z.number().int().optional(),
  moveId: z.number().int().optional(),
  moveName: z.string().optional(),
});

export const InvoicePosted = z
  .object({
    invoiceId: z.string(),
    odooPartnerId: z.number().int(),
    odooMoveId: z.number().int(),
    odooMoveName: z.string(),
    amountTotalCents: z.number().int(),
    amountResidualCents: z.number().int(),
    alreadyPresent: z
      .boolean()
      .meta({ description: 'true when a redelivery found the invoice already in Odoo' }),
  })
  .meta({ id: 'InvoicePosted' });
export type InvoicePosted = z.infer<typeof InvoicePosted>;

export const OdooWriteRejected = z
  .object({
    subjectType: z.string(),
    subjectId: z.string(),
    reason: z.string(),
    odooError: z.string().optional(),
    sourceEventId: z.string(),
  })
  .meta({ id: 'OdooWriteRejected' });
export type OdooWriteRejected = z.infer<typeof OdooWriteRejected>;

export const WorkflowStateChanged = z
  .object({
    from: WorkflowState.nullable(),
    to: WorkflowState,
    cause: z.string().meta({ description: 'type of the event that moved the workflow' }),
  })
  .meta({ id: 'WorkflowStateChanged' });
export type WorkflowStateChanged = z.infer<typeof WorkflowStateChanged>;

/** The event catalog: one schema per `detail-type`, from which events/catalog is generated. */
export const EventCatalog = {
  InvoiceIssued: eventEnvelope('InvoiceIssued', InvoiceIssued),
  InvoicePosted: eventEnvelope('InvoicePosted', InvoicePosted),
  OdooWriteRejected: eventEnvelope('OdooWriteRejected', OdooWriteRejected),
  WorkflowStateChanged: eventEnvelope('WorkflowStateChanged', WorkflowStateChanged),
} as const;
export type EventType = keyof typeof EventCatalog;
export type EventOf<T extends EventType> = z.infer<(typeof EventCatalog)[T]>;
