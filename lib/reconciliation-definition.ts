/**
 * The reconciliation state machine in Amazon States Language — the one definition both CDK deploys
 * (lib/reconciliation.ts, through DefinitionBody with `definitionSubstitutions`) and the local runtime and
 * tests execute with aws-local-stepfunctions. No CDK imports here, so local/ can load it without synthesizing.
 *
 * Start → Map over payers (inline, bounded concurrency; per payer a loop of bounded batches, Odoo outages
 * retried with backoff, anything else caught so one payer cannot fail the run) → Finish (run report, metrics).
 * Every task is the `reconcile` handler (lambdas/handlers/reconcile.ts) with a `step`.
 */

/**
 * The state machine's name per stage: known before it exists, so lib/functions.ts can grant the API function
 * on it, and the local runtime names its copy the same way.
 */
export function reconciliationStateMachineName(stage: string): string {
  return `rcm-hub-${stage}-reconciliation`;
}

/** Placeholder CDK replaces with the reconcile function's ARN (`definitionSubstitutions`). */
export const RECONCILE_FUNCTION_PLACEHOLDER = 'ReconcileFunctionArn';

export interface ReconciliationDefinitionOptions {
  /** How many payers are reconciled at once (each batch is a handful of Odoo searches). */
  maxConcurrency?: number;
}

/** Odoo slow or down: retried for about 21 minutes (30 s · 2ⁿ, 6 attempts) before the payer is given up. */
const ODOO_RETRY = {
  ErrorEquals: ['OdooUnavailable'],
  IntervalSeconds: 30,
  BackoffRate: 2,
  MaxAttempts: 6,
  MaxDelaySeconds: 600,
  JitterStrategy: 'FULL',
};
/** Lambda's own transient failures (throttling, service errors) are retried the way AWS recommends. */
const LAMBDA_RETRY = {
  ErrorEquals: [
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.TooManyRequestsException',
    'States.Timeout',
  ],
  IntervalSeconds: 2,
  BackoffRate: 2,
  MaxAttempts: 6,
};

export function reconciliationDefinition(
  options: ReconciliationDefinitionOptions = {},
): Record<string, unknown> {
  const fn = `\${${RECONCILE_FUNCTION_PLACEHOLDER}}`;
  return {
    Comment:
      'Reconciles, per payer and period, what payers paid and the hub accepted against what Odoo posted (docs/reconciliation.md)',
    StartAt: 'StartRun',
    TimeoutSeconds: 6 * 3600,
    States: {
      StartRun: {
        Type: 'Task',
        Comment: 'Creates the run record (once) and lists the payers to reconcile',
        Resource: fn,
        Parameters: {
          step: 'start',
          'runId.$': '$$.Execution.Name',
          'startedAt.$': '$$.Execution.StartTime',
          'request.$': '$',
        },
        ResultPath: '$.run',
        Retry: [LAMBDA_RETRY, ODOO_RETRY],
        Next: 'ReconcilePayers',
      },
      ReconcilePayers: {
        Type: 'Map',
        Comment: 'One iteration per payer; a payer that fails is reported, the others go on',
        ItemsPath: '$.run.payers',
        ItemSelector: {
          'runId.$': '$.run.runId',
          'period.$': '$.run.period',
          'payerId.$': '$$.Map.Item.Value',
          'facilityId.$': '$.run.facilityId',
          cursor: { phase: 'remittances' },
        },
        MaxConcurrency: options.maxConcurrency ?? 4,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: 'ReconcileBatch',
          States: {
            ReconcileBatch: {
              Type: 'Task',
              Comment: 'One bounded batch: remittances, then the payer payments in Odoo, then overdue claims',
              Resource: fn,
              Parameters: {
                step: 'batch',
                'runId.$': '$.runId',
                'payerId.$': '$.payerId',
                'period.$': '$.period',
                'facilityId.$': '$.facilityId',
                'cursor.$': '$.cursor',
              },
              ResultPath: '$.batch',
              Retry: [LAMBDA_RETRY, ODOO_RETRY],
              Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'PayerFailed' }],
              Next: 'MoreBatches',
            },
            MoreBatches: {
              Type: 'Choice',
              Choices: [{ Variable: '$.batch.done', BooleanEquals: false, Next: 'NextBatch' }],
              Default: 'PayerReconciled',
            },
            NextBatch: {
              Type: 'Pass',
              Parameters: {
                'runId.$': '$.runId',
                'payerId.$': '$.payerId',
                'period.$': '$.period',
                'facilityId.$': '$.facilityId',
                'cursor.$': '$.batch.cursor',
              },
              Next: 'ReconcileBatch',
            },
            PayerReconciled: {
              Type: 'Pass',
              Parameters: { 'payerId.$': '$.payerId', status: 'completed' },
              End: true,
            },
            PayerFailed: {
              Type: 'Pass',
              Parameters: { 'payerId.$': '$.payerId', status: 'failed', 'error.$': '$.error' },
              End: true,
            },
          },
        },
        ResultPath: '$.payers',
        Next: 'FinishRun',
      },
      FinishRun: {
        Type: 'Task',
        Comment: 'Writes the run report and the variance metrics the finance alarm watches',
        Resource: fn,
        Parameters: { step: 'finish', 'runId.$': '$.run.runId', 'payers.$': '$.payers' },
        Retry: [
          LAMBDA_RETRY,
          { ErrorEquals: ['States.ALL'], IntervalSeconds: 5, BackoffRate: 2, MaxAttempts: 3 },
        ],
        End: true,
      },
    },
  };
}

/** The definition with the function ARN filled in, as Step Functions sees it after substitution. */
export function resolvedReconciliationDefinition(
  functionArn: string,
  options: ReconciliationDefinitionOptions = {},
): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(reconciliationDefinition(options)).replaceAll(
      `\${${RECONCILE_FUNCTION_PLACEHOLDER}}`,
      functionArn,
    ),
  ) as Record<string, unknown>;
}
