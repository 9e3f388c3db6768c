/**
 * Per-stage configuration, read from `cdk.json` (`context.stages.<stage>`) and validated here before any
 * construct is built (Medplum keeps its per-environment config typed the same way). A bad value fails the
 * synth with the field path and the reason instead of a CloudFormation error half-way through a deploy.
 */
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as z from 'zod';
import { PartnerClient } from '../lambdas/core/partners.js';
import { PayerWindows } from '../lambdas/core/triage/exposure.js';
import { AUDIENCES, type Audience, MonitoringThresholds } from '../lambdas/monitoring-alarms.js';
import { DEFAULT_CLIENT_THROTTLE, handlers } from '../lambdas/wiring.js';

const Throttle = z
  .object({ rateLimit: z.number().positive(), burstLimit: z.number().int().positive() })
  .strict();

/**
 * One OAuth client of the stage (docs/security.md#registry): CDK creates its Cognito app client with its
 * role's scopes (or the narrower `scopes` given), its API key and usage plan, and enters it in the partner
 * registry the handlers read. The `developer` all-scope role exists only in the local runtime.
 */
export const ConfiguredClient = PartnerClient.omit({ clientId: true })
  .extend({
    /** Narrower than the role's bundle (e.g. a read-only partner); never wider (checked at synth, lib/api.ts). */
    scopes: z
      .array(z.string().regex(/^rcm\/[a-z-]+\.[a-z]+$/))
      .min(1)
      .optional(),
    /** This client's own usage plan limits; default `partnerThrottle`. */
    throttle: Throttle.optional(),
  })
  .strict()
  .refine((client) => client.role !== 'developer', {
    path: ['role'],
    message: 'the developer (all-scope) role is local only; give the client a role',
  });
export type ConfiguredClient = z.infer<typeof ConfiguredClient>;

/** Retention values CloudWatch Logs accepts (the `RetentionDays` enum), INFINITE excluded on purpose. */
const allowedRetentionDays = Object.values(RetentionDays).filter(
  (value): value is number => typeof value === 'number' && value !== RetentionDays.INFINITE,
);

export const StageName = z
  .string()
  .regex(
    /^[a-z][a-z0-9]{1,11}$/,
    'a stage name is 2-12 lower-case letters or digits, starting with a letter',
  );

export const StageConfig = z
  .object({
    /** 12-digit AWS account; `null` keeps the stack environment-agnostic (synth works offline). */
    account: z
      .string()
      .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
      .nullable(),
    /** Region to pin the stack to when `account` is set too. */
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as us-east-1'),
    /** `retain` keeps tables, keys, secret and log groups when the stack is deleted (and turns on deletion protection). */
    removalPolicy: z.enum(['destroy', 'retain']),
    /** CloudWatch Logs retention for every log group (function, API access logs). */
    logRetentionDays: z
      .number()
      .int()
      .refine((days) => allowedRetentionDays.includes(days), {
        message: `must be one of CloudWatch Logs' retention values: ${allowedRetentionDays.join(', ')}`,
      }),
    /**
     * Monitoring (lambdas/monitoring-alarms.ts): SLA and alarm thresholds, the sweeper rate, and the e-mail
     * addresses subscribed to each audience's alert topic (each must confirm its subscription).
     */
    monitoring: MonitoringThresholds.extend({
      alertEmails: z
        .object(
          Object.fromEntries(
            AUDIENCES.map((audience) => [audience, z.array(z.email()).default([])]),
          ) as Record<Audience, z.ZodDefault<z.ZodArray<z.ZodEmail>>>,
        )
        .strict()
        .prefault({}),
    })
      .strict()
      .prefault({}),
    /**
     * What the hub books to in Odoo (docs/operations.md#odoo-setup): account codes per posting role and the bank
     * journal's code; `npm run odoo:setup` finds or creates them by rcm_hub external id. Defaults: the generic chart.
     */
    odooLedger: z
      .object({
        accounts: z
          .object({
            contractualAdjustments: z.string().min(1).default('651000'),
            otherAdjustments: z.string().min(1).default('652000'),
            patientResponsibilityTransfer: z.string().min(1).default('121500'),
            payerInitiatedReductions: z.string().min(1).default('653000'),
            deniedClaims: z.string().min(1).default('654000'),
            plbInterestIncome: z.string().min(1).default('451000'),
            plbOtherAdjustments: z.string().min(1).default('655000'),
            eraDepositClearing: z.string().min(1).default('101403'),
            // Issue 14: a claim paid twice is the payer's credit until refunded (docs/posting-rules.md).
            payerRefundLiability: z.string().min(1).default('215000'),
          })
          .strict()
          .prefault({}),
        bankJournalCode: z.string().min(1).max(5).default('BNK1'),
        /** The journal of ERA deposits (one entry per ERA, docs/posting-rules.md). */
        depositJournalCode: z.string().min(1).max(5).default('ERA'),
      })
      .strict()
      .prefault({}),
    /** SQS event source `maxConcurrency` for the Odoo writer: bounds the load on Odoo (2 is the AWS minimum). */
    odooWriteConcurrency: z.number().int().min(2).max(1000),
    /** Receives before a message moves to the Odoo write DLQ. */
    odooWriteMaxReceiveCount: z.number().int().min(1).max(1000),
    /**
     * Seconds after a batched Odoo write lost its answer during which Odoo may still commit it: its records are
     * not looked up (nor written) again before then. At least the Odoo server's `limit_time_real` (120 s by
     * default with workers) plus the time a request may wait for a worker; below the write queue's visibility
     * timeout (360 s), which brings a message back if the writer could not set the wait itself.
     */
    odooLateCommitSeconds: z.number().int().min(1).max(330).default(150),
    /**
     * Rounds of one ERA (or one day's payments) that book at once (core/era-booking.ts `laneRoundKey`): the stage's
     * Odoo HTTP workers left for the hub, and no more than `odooWriteConcurrency`. 1 (default) suits an Odoo with
     * one process (`workers = 0`), on which two batches at once take longer than one after the other.
     */
    odooEraLanes: z.number().int().min(1).max(32).default(1),
    /** How long an idempotency record (API `Idempotency-Key`) is kept. */
    idempotencyTtlHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 30),
    /** EventBridge archive retention (replay window) in days; 0 is not allowed (it would mean forever). */
    eventArchiveRetentionDays: z.number().int().min(1).max(3650).default(30),
    /** API stage throttling (steady requests per second and burst). */
    apiThrottle: z
      .object({ rateLimit: z.number().positive(), burstLimit: z.number().int().positive() })
      .strict()
      .default({ rateLimit: 50, burstLimit: 100 }),
    /** The stage's OAuth clients and their bindings (docs/security.md#registry); names unique. */
    partners: z
      .array(ConfiguredClient)
      .default([])
      .refine((clients) => new Set(clients.map((c) => c.name)).size === clients.length, {
        message: 'client names must be unique',
      }),
    /** Default per-client usage plan (API Gateway enforces it per API key): one partner cannot starve the rest. */
    partnerThrottle: Throttle.default({ ...DEFAULT_CLIENT_THROTTLE }),
    /**
     * Reserved concurrency per function: caps what API traffic can take from the account's pool and keeps
     * that much for it. Unset: unreserved (new accounts often cannot reserve below their 100 unreserved).
     */
    reservedConcurrency: z
      .partialRecord(
        z.enum(Object.keys(handlers) as [keyof typeof handlers, ...(keyof typeof handlers)[]]),
        z.number().int().min(1).max(1000),
      )
      .default({}),
    /** WAF rate-based rule: requests per client IP per 5 minutes before blocking. */
    wafRateLimitPer5Minutes: z.number().int().min(10).max(2_000_000_000).default(1000),
    /** Reconciliation (docs/reconciliation.md): when it runs, how many payers at once, expected payer lags. */
    reconciliation: z
      .object({
        /** EventBridge schedule expression (UTC) of the daily run over the previous UTC day. */
        schedule: z
          .string()
          .regex(
            /^(cron|rate)\(.+\)$/,
            'must be an EventBridge schedule expression such as cron(0 6 * * ? *)',
          )
          .default('cron(0 6 * * ? *)'),
        maxConcurrency: z.number().int().min(1).max(40).default(4),
        /** Days a payer normally takes to remit; a claim past it with no remittance is reported to billing. */
        remittanceLagDays: z.number().int().min(1).max(365).default(30),
        payerRemittanceLagDays: z.record(z.string(), z.number().int().min(1).max(365)).default({}),
      })
      .strict()
      .prefault({}),
    /**
     * Triage (docs/triage.md#exposure): each payer's timely-filing and appeal windows in days, as data. They set
     * how fast a denial's or a filing problem's exposure grows with age; payers not listed use `default`.
     */
    triage: z
      .object({
        payerWindows: PayerWindows.prefault({}),
        /**
         * Optional prose summaries of the triage by an Amazon Bedrock model (docs/triage.md#summariser), e.g.
         * `anthropic.claude-3-haiku-20240307-v1:0`. Unset (the default): off, and no Bedrock permission at all.
         */
        summaryModelId: z
          .string()
          .regex(/^[a-z0-9-]+\.[A-Za-z0-9.:_-]{1,100}$/, 'must be a Bedrock foundation model id')
          .optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  // A lane past the writer's concurrency never books beside the others: it only waits for a writer.
  .refine((stage) => stage.odooEraLanes <= stage.odooWriteConcurrency, {
    path: ['odooEraLanes'],
    message: 'must not exceed odooWriteConcurrency: a lane books only while a writer is free for it',
  });
export type StageConfig = z.infer<typeof StageConfig>;
export type StageConfigInput = z.input<typeof StageConfig>;

/** The resolved stage: its name and its validated configuration. */
export interface Stage {
  name: string;
  config: StageConfig;
}

export class StageConfigError extends Error {
  override readonly name = 'StageConfigError';
}

/**
 * Pick and validate the configuration of `stageName` from the `stages` context object.
 * Throws a `StageConfigError` that names the stage and every invalid field.
 */
export function loadStage(stageName: unknown, stages: unknown): Stage {
  const name = StageName.safeParse(stageName);
  if (!name.success) {
    throw new StageConfigError(`Invalid stage ${JSON.stringify(stageName)}: ${z.prettifyError(name.error)}`);
  }
  const table = z.record(z.string(), z.unknown()).safeParse(stages);
  if (!table.success) {
    throw new StageConfigError('cdk.json context "stages" must be an object of stage name → stage config');
  }
  const raw = table.data[name.data];
  if (raw === undefined) {
    const known = Object.keys(table.data).join(', ') || '(none)';
    throw new StageConfigError(`Unknown stage "${name.data}": cdk.json context "stages" defines ${known}`);
  }
  const config = StageConfig.safeParse(raw);
  if (!config.success) {
    throw new StageConfigError(
      `Invalid config for stage "${name.data}" (cdk.json context stages.${name.data}):\n${z.prettifyError(config.error)}`,
    );
  }
  return { name: name.data, config: config.data };
}
