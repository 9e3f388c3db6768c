/**
 * Contracts of the triage and payer insights routes (docs/triage.md; lambdas/handlers/insights.ts). The triage
 * example is the core's own suggestion for the sample invoice Odoo refused, made by the rules-only model an
 * hour after it opened.
 */
import { ProblemType } from '../../lambdas/adapters/http/problem.js';
import { ExceptionId, triageSubject } from '../../lambdas/core/exceptions.js';
import { PayerInsightsView, RetrainResultView, TriageModelView } from '../../lambdas/core/insights/view.js';
import { DEFAULT_WINDOWS } from '../../lambdas/core/triage/exposure.js';
import { train } from '../../lambdas/core/triage/model.js';
import { TriageView, triage } from '../../lambdas/core/triage/triage.js';
import { refusedInvoiceEntry } from './exceptions.js';
import type { ErrorCase, OperationContract, Samples } from './operations.js';
import { PayerIdSchema } from './responses.js';

const RULES = train([]);

function sampleTriage(s: Samples) {
  const entry = refusedInvoiceEntry(s);
  return {
    ...triage(triageSubject(entry), {
      model: RULES,
      now: Date.parse(entry.openedAt) + 3_600_000,
      windows: DEFAULT_WINDOWS,
      resolved: [],
    }),
    priorityRank: 1,
  };
}

const unavailable: ErrorCase = {
  status: 503,
  type: ProblemType.unavailable,
  title: 'Service unavailable',
  when: 'the register did not answer; retry',
  detail: 'Try again shortly.',
  retryAfter: 2,
  by: 'handler',
};

export const triageContracts: Record<string, OperationContract> = {
  getExceptionTriage: {
    description:
      'The suggestion recorded on the exception (with the model version that made it): probable cause from the taxonomy with its confidence and alternatives, each signal’s weight in plain words, exposure = money at stake × probability of loss for the cause and age, the runbook’s next action with its API call, the most similar resolved exceptions, and (open exceptions) the priority rank in the team’s queue. A suggestion only: people decide.',
    success: { description: 'The triage', schema: TriageView, example: sampleTriage, headers: [] },
    correlationHeader: false,
    pathParams: {
      exceptionId: {
        schema: ExceptionId,
        description: 'The id GET /v1/exceptions lists',
        example: 'f25ea16c-4a8c-5d9d-9916-3deba6fe8308',
      },
    },
    errors: [
      {
        status: 400,
        type: ProblemType.validation,
        title: 'Invalid exception id',
        when: 'the exception id in the path is not one the register issues',
        detail: 'The exceptionId in the path is not valid.',
        by: 'handler',
        errors: [
          { path: 'path:exceptionId', message: 'must be an exception id as GET /v1/exceptions lists them' },
        ],
      },
      {
        status: 404,
        type: ProblemType.notFound,
        title: 'Unknown exception',
        when: 'no exception has this id, or it has no triage yet',
        detail: 'No exception f25ea16c-4a8c-5d9d-9916-3deba6fe8308.',
        by: 'handler',
      },
      unavailable,
    ],
  },
  getPayerInsights: {
    description:
      'Per metric (denial rate, paid-to-billed, CARC mix, days to pay, volume): the value over the last 50 claims against the payer’s 28-day robust baseline (median, 1.4826 × MAD), its z-score and status; the open anomalies with the exception each opened and the claims behind it; expected cash for the next 7 and 30 days from open claims and the payer’s own days-to-pay; the same per facility with enough claims.',
    success: {
      description: 'The payer’s insights',
      schema: PayerInsightsView,
      example: () => ({
        payerId: 'PAYER-BCBS-IL',
        scope: 'PAYER-BCBS-IL',
        updatedAt: '2026-11-21T10:00:00.000Z',
        claimsAssessed: 1240,
        baselines: [
          {
            metric: 'denial-rate',
            current: 0.3,
            median: 0.08,
            spread: 0.038,
            z: 5.79,
            status: 'anomalous',
            explanation:
              'Payer PAYER-BCBS-IL: denial rate 30 % over the last 50 claims against 8 % ± 4 % for 28 days',
          },
          {
            metric: 'carc-mix',
            code: '197',
            current: 0.2,
            median: 0.01,
            spread: 0.02,
            z: 9.5,
            status: 'anomalous',
            explanation:
              'Payer PAYER-BCBS-IL: CARC 197 rose from 1 % to 20 % of claims (last 50 claims against 28 days)',
          },
        ],
        anomalies: [
          {
            metric: 'denial-rate',
            openedAt: '2026-11-21T09:00:00.000Z',
            exceptionId: 'b3c1f1e2-8f0a-5c55-9d0e-0d6c8a1f4e21',
            explanation:
              'Payer PAYER-BCBS-IL: denial rate 30 % over the last 50 claims against 8 % ± 4 % for 28 days',
            team: 'billing',
            claimIds: ['CLM-2026-004411', 'CLM-2026-004419'],
            amountCents: 1_834_500,
          },
        ],
        forecast: {
          asOf: '2026-11-21',
          horizons: [
            { days: 7, expectedCents: 4_120_300, claims: 311 },
            { days: 30, expectedCents: 11_804_250, claims: 311 },
          ],
          overdueClaims: 4,
          openClaims: 315,
          openBilledCents: 17_950_000,
          paidToBilled: 0.661,
          daysToPay: { p50: 18, p90: 31, samples: 1240 },
        },
        facilities: [],
      }),
      headers: [],
    },
    correlationHeader: false,
    pathParams: {
      payerId: { schema: PayerIdSchema, description: 'Our payer id', example: 'PAYER-BCBS-IL' },
    },
    errors: [
      {
        status: 404,
        type: ProblemType.notFound,
        title: 'No insights',
        when: 'the payer insights schedule has not assessed this payer yet',
        detail: 'No insights for payer PAYER-BCBS-IL yet (the payer insights schedule computes them).',
        by: 'handler',
      },
      unavailable,
    ],
  },
  getTriageModel: {
    description:
      'The model suggestions are made with: its version (rules-… before any person labelled a cause, nb-<examples>-… after), the labelled examples per cause, every earlier version, and per version how often people accepted or overrode its suggestions.',
    success: {
      description: 'The triage model',
      schema: TriageModelView,
      example: () => ({
        version: 'nb-412-3f9a0c1d2e',
        trainedAt: '2026-11-21T02:00:00.000Z',
        examples: 412,
        labelled: { odoo_unavailable: 88, denial_authorization: 61, master_data_mismatch: 40 },
        versions: [
          { version: RULES.version, trainedAt: '2026-11-01T02:00:00.000Z', examples: 0 },
          { version: 'nb-412-3f9a0c1d2e', trainedAt: '2026-11-21T02:00:00.000Z', examples: 412 },
        ],
        feedback: [
          { modelVersion: RULES.version, accepted: 371, overridden: 41, unlabelled: 12, acceptanceRate: 0.9 },
        ],
      }),
      headers: [],
    },
    correlationHeader: false,
    errors: [unavailable],
  },
  retrainTriageModel: {
    description:
      'What the TriageRetrain schedule does, now: train on every resolved exception a person labelled with a cause (naive Bayes over the triage signals, priors from the rules), keep the version, and re-suggest for open exceptions triaged by an older one. The same labelled data gives the same version (changed: false).',
    success: {
      description: 'The retrain',
      schema: RetrainResultView,
      example: () => ({
        version: 'nb-412-3f9a0c1d2e',
        previousVersion: 'nb-398-77c01b5a9e',
        changed: true,
        examples: 412,
        retriaged: 37,
      }),
      headers: [],
    },
    correlationHeader: false,
    errors: [unavailable],
  },
};
