/** API shapes of payer insights and the triage model (GET /v1/insights/payers/{payerId}, /v1/triage/model). */
import * as z from 'zod';
import { ANOMALY_METRICS } from './anomaly.js';

const Metric = z.enum(ANOMALY_METRICS);

const Baseline = z.object({
  metric: Metric,
  code: z.string().optional().meta({ description: 'CARC whose share moved (carc-mix)' }),
  current: z
    .number()
    .meta({ description: 'Value over the last 50 claims (volume: claims in the last 7 days)' }),
  median: z.number().meta({ description: 'Baseline: median over the previous 28 days' }),
  spread: z.number().meta({ description: 'Baseline spread: 1.4826 × MAD, never below sampling noise' }),
  z: z.number(),
  status: z.enum(['normal', 'watch', 'anomalous']),
  explanation: z.string(),
});

const Anomaly = z.object({
  metric: Metric,
  openedAt: z.string(),
  exceptionId: z.string().meta({ description: 'The exception it opened (GET /v1/exceptions/{exceptionId})' }),
  explanation: z.string(),
  team: z.enum(['billing', 'finance']),
  claimIds: z.array(z.string()).meta({ description: 'The claims behind it (at most 25)' }),
  amountCents: z.number().int(),
});

const Forecast = z.object({
  asOf: z.string(),
  horizons: z.array(
    z.object({ days: z.number().int(), expectedCents: z.number().int(), claims: z.number().int() }),
  ),
  overdueClaims: z.number().int().meta({ description: 'Open claims older than the payer has ever taken' }),
  openClaims: z.number().int(),
  openBilledCents: z.number().int(),
  paidToBilled: z.number(),
  daysToPay: z.object({ p50: z.number(), p90: z.number(), samples: z.number().int() }),
});

const ScopeInsights = z.object({
  scope: z.string(),
  facilityId: z.string().optional(),
  updatedAt: z.string(),
  claimsAssessed: z.number().int(),
  baselines: z.array(Baseline),
  anomalies: z.array(Anomaly),
});

export const PayerInsightsView = ScopeInsights.extend({
  payerId: z.string(),
  forecast: Forecast.optional(),
  facilities: z.array(ScopeInsights),
}).meta({ id: 'PayerInsights' });
export type PayerInsightsView = z.infer<typeof PayerInsightsView>;

export const TriageModelView = z
  .object({
    version: z.string(),
    trainedAt: z.string().optional(),
    examples: z.number().int().meta({ description: 'Resolved exceptions people labelled with a cause' }),
    labelled: z.record(z.string(), z.number().int()),
    versions: z.array(z.object({ version: z.string(), trainedAt: z.string(), examples: z.number().int() })),
    feedback: z.array(
      z.object({
        modelVersion: z.string(),
        accepted: z.number().int(),
        overridden: z.number().int(),
        unlabelled: z.number().int(),
        acceptanceRate: z.number().optional(),
      }),
    ),
  })
  .meta({ id: 'TriageModel' });

export const RetrainResultView = z
  .object({
    version: z.string(),
    previousVersion: z.string(),
    changed: z.boolean(),
    examples: z.number().int(),
    retriaged: z.number().int(),
  })
  .meta({ id: 'TriageRetrainResult' });
