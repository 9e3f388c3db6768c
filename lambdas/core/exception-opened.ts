import * as z from 'zod';
import { eventEnvelope } from './envelope.js';

/*
 * ExceptionOpened, the event every part of the hub opens an exception with (core/events.ts's EventCatalog holds
 * it). Its own module so that the register's projection (handlers/project-exceptions.ts), which reads only this
 * event, does not bundle and build every other event's schema at init (issue 16, docs/benchmarks.md).
 */

export const ExceptionOpened = z
  .object({
    key: z.string().meta({ description: 'Stable per cause: a redelivery does not open a second exception' }),
    team: z.enum(['billing', 'finance', 'integration']),
    reason: z.string(),
    amountCents: z.number().int(),
    sourceEventId: z.string(),
    // Ids the producer knows, so the exception register can be searched by them (never patient data).
    payerId: z.string().optional(),
    claimId: z.string().optional(),
    invoiceId: z.string().optional().meta({ description: 'Our invoice id' }),
    traceNumber: z.string().optional().meta({ description: 'Check or EFT trace number of a remittance' }),
    retryOf: z
      .string()
      .optional()
      .meta({ description: 'The exception whose retry failed again and opened this one' }),
  })
  .meta({ id: 'ExceptionOpened' });
export type ExceptionOpened = z.infer<typeof ExceptionOpened>;

export const ExceptionOpenedEnvelope = eventEnvelope('ExceptionOpened', ExceptionOpened);
