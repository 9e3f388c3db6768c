/**
 * Contracts of the reconciliation routes (docs/reconciliation.md; lambdas/handlers/reconciliations.ts).
 * The report example is the run the integration test plants (test/integration/reconciliation.test.ts): one
 * payer-day with one difference of every class.
 */
import { z } from 'zod';
import { ProblemType } from '../../lambdas/adapters/http/problem.js';
import {
  DIFFERENCE_CLASSES,
  DifferenceClass,
  ReconciliationPeriod,
  ReconciliationRunListQuery,
} from '../../lambdas/core/reconciliation.js';
import type { ErrorCase, OperationContract } from './operations.js';
import { invalidQueryCase } from './query-errors.js';

const RUN_ID = 'rcn-835a0c9a-b876-54fa-9c1f-83b6e9910dc6';
const PAYER = 'PAYER-BCBS-IL';
const CORRELATION_ID = '7d0f3c1e-9b52-4a8e-a0c4-3f6d2b9e5a17';

export const ReconciliationStarted = z
  .object({
    runId: z
      .string()
      .meta({ description: 'The execution name; derived from the client and Idempotency-Key' }),
    status: z.literal('running'),
    period: ReconciliationPeriod,
    report: z.string().meta({ description: 'Where the run report is read (also the Location header)' }),
  })
  .meta({ id: 'ReconciliationStarted' });

const ClassTotals = z.object({ count: z.number().int(), amountCents: z.number().int() });
const Totals = z
  .object({
    remittances: z.number().int(),
    remittedCents: z.number().int(),
    payments: z
      .number()
      .int()
      .meta({ description: 'Payments outside an ERA (check, wire, gateway) in the period' }),
    paymentCents: z.number().int(),
    matched: z
      .number()
      .int()
      .meta({ description: 'Remittances and payments whose Odoo records match exactly' }),
    matchedCents: z.number().int(),
    differences: z.number().int(),
    varianceCents: z.number().int().meta({ description: 'Sum of the differences’ revenue at stake' }),
    byClass: z.partialRecord(DifferenceClass, ClassTotals),
  })
  .meta({ id: 'ReconciliationTotals' });

const Difference = z
  .object({
    key: z.string().meta({ description: 'recon:<class>:<subject>; the key of the exception it opened' }),
    class: DifferenceClass,
    team: z.enum(['finance', 'billing', 'integration']),
    payerId: z.string(),
    amountCents: z.number().int().meta({ description: 'Revenue at stake (≥ 0)' }),
    expectedCents: z.number().int().optional(),
    actualCents: z.number().int().optional(),
    encounterId: z.string().optional(),
    claimId: z.string().optional(),
    remittanceId: z.string().optional(),
    paymentId: z.string().optional(),
    traceNumber: z.string().optional(),
    invoiceId: z.string().optional(),
    odooIds: z.array(z.number().int()),
    reason: z.string(),
  })
  .meta({ id: 'ReconciliationDifference' });

export const ReconciliationReport = z
  .object({
    runId: z.string(),
    status: z.enum(['starting', 'running', 'completed', 'partial', 'failed']),
    trigger: z.enum(['schedule', 'api']).optional(),
    period: ReconciliationPeriod.optional(),
    payerId: z.string().optional(),
    facilityId: z.string().optional(),
    requestedBy: z.string().optional(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
    execution: z.object({ status: z.string().optional(), error: z.string().optional() }),
    totals: Totals.optional(),
    payers: z
      .array(
        z.object({
          payerId: z.string(),
          status: z.enum(['completed', 'failed']),
          error: z.string().optional(),
          totals: Totals.optional(),
        }),
      )
      .optional(),
    differences: z.array(Difference).optional(),
  })
  .meta({ id: 'ReconciliationReport' });

export const ReconciliationReportQuery = z
  .object({
    class: DifferenceClass.optional().meta({ description: `One of ${DIFFERENCE_CLASSES.join(', ')}` }),
    payerId: z.string().optional(),
  })
  .strict();

const PERIOD = { from: '2026-11-10T00:00:00Z', to: '2026-11-11T00:00:00Z' };

const unavailable: ErrorCase = {
  status: 503,
  type: ProblemType.unavailable,
  title: 'Service unavailable',
  when: 'the run store or Step Functions did not answer; retry',
  detail: 'Try again shortly.',
  retryAfter: 2,
  by: 'handler',
};

const exampleTotals = {
  remittances: 5,
  remittedCents: 34500,
  payments: 0,
  paymentCents: 0,
  matched: 2,
  matchedCents: 16000,
  differences: 2,
  varianceCents: 17345,
  byClass: {
    missing_in_odoo: { count: 1, amountCents: 5000 },
    unapplied_cash: { count: 1, amountCents: 12345 },
  },
};

const example = {
  runId: RUN_ID,
  status: 'completed' as const,
  trigger: 'api' as const,
  period: PERIOD,
  payerId: PAYER,
  requestedBy: '4k9financeops0client0id7q',
  startedAt: '2026-11-11T06:00:01.203Z',
  finishedAt: '2026-11-11T06:00:04.785Z',
  execution: { status: 'SUCCEEDED' },
  totals: exampleTotals,
  payers: [
    {
      payerId: PAYER,
      status: 'completed' as const,
      totals: exampleTotals,
    },
  ],
  differences: [
    {
      key: 'recon:missing_in_odoo:rcm:era:ERA-20261110-0458-1:payment',
      class: 'missing_in_odoo' as const,
      team: 'integration' as const,
      payerId: PAYER,
      amountCents: 5000,
      expectedCents: 5000,
      actualCents: 0,
      encounterId: 'ENC-2026-000123',
      claimId: 'CLM-2026-000123',
      remittanceId: 'ERA-20261110-0458-1',
      traceNumber: '1202611100000458',
      invoiceId: 'INV-2026-000123',
      odooIds: [],
      reason: 'payment of 50.00 for claim CLM-2026-000123 (ERA 1202611100000458) is not in Odoo',
    },
    {
      key: 'recon:unapplied_cash:payment:412',
      class: 'unapplied_cash' as const,
      team: 'finance' as const,
      payerId: PAYER,
      amountCents: 12345,
      actualCents: 12345,
      odooIds: [412],
      reason: `Odoo payment 412 of 123.45 from payer ${PAYER} (2026-11-10) is applied to no invoice`,
    },
  ],
};

export const ReconciliationRunList = z
  .object({
    items: z.array(ReconciliationReport.omit({ execution: true, differences: true })),
    nextCursor: z.string().optional(),
  })
  .meta({ id: 'ReconciliationRunList' });

export const reconciliationContracts: Record<string, OperationContract> = {
  listReconciliations: {
    description:
      'Every run, scheduled or requested, newest first: status, period, totals and per-payer totals (the differences themselves are on each run). The latest scheduled run is the first with trigger schedule.',
    success: {
      description: 'One page of runs',
      schema: ReconciliationRunList,
      example: () => {
        const { execution: _e, differences: _d, ...run } = example;
        return { items: [run] };
      },
      headers: ['X-Correlation-Id'],
    },
    correlationHeader: true,
    exampleCorrelationId: CORRELATION_ID,
    query: { schema: ReconciliationRunListQuery, example: { limit: '20' } },
    errors: [invalidQueryCase(ReconciliationRunListQuery), unavailable],
  },
  startReconciliation: {
    description:
      'Starts the reconciliation state machine for the period (remittances by payment date), every payer the hub has seen or the one named, optionally one facility. The run compares what the hub accepted with what Odoo posted, opens an exception per difference (keyed, never twice) and marks fully matched encounters reconciled. The daily schedule runs the same state machine for the previous UTC day.',
    success: {
      description: 'The run started (or, for a repeated request, the run it started before)',
      schema: ReconciliationStarted,
      example: () => ({
        runId: RUN_ID,
        status: 'running',
        period: PERIOD,
        report: `/v1/reconciliations/${RUN_ID}`,
      }),
      headers: ['Location', 'X-Correlation-Id'],
      location: '/v1/reconciliations/{runId}',
    },
    correlationHeader: true,
    exampleCorrelationId: CORRELATION_ID,
    errors: [unavailable],
    requestRules: ['period.from must be before period.to, at most 366 days apart; both carry a zone.'],
  },
  getReconciliation: {
    description:
      'The run report: status (partial when some payers failed after their retries), totals, per payer the remittances matched and the differences by class with their revenue at stake, and the differences themselves (filter with class and payerId).',
    success: {
      description: 'The run report',
      schema: ReconciliationReport,
      example: () => example,
      headers: ['X-Correlation-Id'],
    },
    correlationHeader: true,
    exampleCorrelationId: CORRELATION_ID,
    pathParams: {
      runId: {
        schema: z
          .string()
          .regex(/^[\w.-]{1,80}$/)
          .meta({ id: 'ReconciliationRunId', description: 'A reconciliation run id (execution name)' }),
        description: 'The run id POST /v1/reconciliations answered, or a scheduled execution’s name',
        example: RUN_ID,
      },
    },
    query: { schema: ReconciliationReportQuery, example: { class: 'unapplied_cash' } },
    errors: [
      {
        status: 400,
        type: ProblemType.validation,
        title: 'Validation failed',
        when: 'class is not a difference class',
        detail: 'Unknown difference class.',
        by: 'handler',
        errors: [{ path: '/class', message: `must be one of ${DIFFERENCE_CLASSES.join(', ')}` }],
      },
      {
        status: 404,
        type: ProblemType.notFound,
        title: 'Not found',
        when: 'no run and no execution has this id',
        detail: `No reconciliation run ${RUN_ID}.`,
        by: 'handler',
      },
      unavailable,
    ],
  },
};
