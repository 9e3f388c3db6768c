/**
 * Triage of one exception (docs/triage.md): probable cause with a confidence, the evidence in plain words,
 * revenue exposure, the runbook's next action with its API call, and the most similar resolved cases. It only
 * suggests and ranks: nothing here changes money, an exception's status or what the hub books.
 */
import * as z from 'zod';
import { expectedLossProbability, exposureCents, type PayerWindows, windowFor } from './exposure.js';
import { type Classification, classify, type TriageModel } from './model.js';
import { type Signal, signalsOf, type TriageSubject } from './signals.js';
import { mostSimilar, type ResolvedCase, type SimilarCase } from './similar.js';
import { ACTIONS, CAUSES, type Cause, type NextAction, nextActionFor, TAXONOMY } from './taxonomy.js';

export interface Evidence {
  signal: string;
  /** Log-odds for the chosen cause against the runner-up (natural log); positive supports the choice. */
  weight: number;
  text: string;
}

export interface Triage {
  modelVersion: string;
  triagedAt: string;
  cause: Cause;
  causeLabel: string;
  confidence: number;
  alternatives: Array<{ cause: Cause; probability: number }>;
  evidence: Evidence[];
  /** Money at stake × probability of loss (cents). */
  exposureCents: number;
  lossProbability: number;
  nextAction: NextAction;
  similar: SimilarCase[];
  /** The tokens the model saw (kept so a person's later choice can train the next model on the same view). */
  signals: string[];
  summary: string;
}

export interface TriageContext {
  model: TriageModel;
  now: number;
  windows: PayerWindows;
  /** Resolved cases to compare against (the register's recent resolved entries). */
  resolved: readonly ResolvedCase[];
  /** The cause people chose most often for this payer. */
  payerHistory?: Cause;
}

const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;

function strength(weight: number): string {
  const w = Math.abs(weight);
  if (w >= 2) return 'strongly';
  if (w >= 0.7) return 'clearly';
  return 'slightly';
}

function explain(classification: Classification, signals: readonly Signal[]): Evidence[] {
  const text = new Map(signals.map((s) => [s.token, s.text]));
  const chosen = TAXONOMY[classification.cause].label;
  const other = TAXONOMY[classification.runnerUp].label;
  const items: Evidence[] = classification.contributions
    .filter((c) => Math.abs(c.weight) >= 0.05)
    .map((c) => ({
      signal: c.token,
      weight: round(c.weight),
      text:
        c.weight > 0
          ? `${capitalise(text.get(c.token) ?? c.token)}: ${strength(c.weight)} points to “${chosen}” rather than “${other}”.`
          : `${capitalise(text.get(c.token) ?? c.token)}: ${strength(c.weight)} points to “${other}” instead.`,
    }));
  if (Math.abs(classification.priorWeight) >= 0.05) {
    items.push({
      signal: 'prior',
      weight: round(classification.priorWeight),
      text:
        classification.priorWeight > 0
          ? `People have resolved more exceptions as “${chosen}” than as “${other}”.`
          : `People have resolved fewer exceptions as “${chosen}” than as “${other}”.`,
    });
  }
  return items.sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || a.signal.localeCompare(b.signal));
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

export function formatDollars(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(cents));
  const dollars = Math.floor(abs / 100).toLocaleString('en-US');
  return `${sign}$${dollars}.${String(abs % 100).padStart(2, '0')}`;
}

export function triage(subject: TriageSubject, context: TriageContext): Triage {
  const signals = signalsOf(subject, {
    now: context.now,
    ...(context.payerHistory ? { payerHistory: context.payerHistory } : {}),
  });
  const tokens = signals.map((s) => s.token);
  const classification = classify(context.model, tokens);
  const ageDays = Math.max(0, context.now - Date.parse(subject.openedAt)) / 86_400_000;
  const loss = expectedLossProbability(
    classification.posterior,
    ageDays,
    windowFor(context.windows, subject.payerId),
  );
  const exposure = exposureCents(subject.amountCents, loss);
  const nextAction = nextActionFor(classification.cause, {
    id: subject.id,
    redriveKind: subject.redriveKind,
    ...(subject.encounterId ? { encounterId: subject.encounterId } : {}),
  });
  const label = TAXONOMY[classification.cause].label;
  const percent = Math.round(classification.confidence * 100);
  return {
    modelVersion: context.model.version,
    triagedAt: new Date(context.now).toISOString(),
    cause: classification.cause,
    causeLabel: label,
    confidence: round(classification.confidence, 3),
    alternatives: classification.posterior
      .slice(1, 4)
      .map((p) => ({ cause: p.cause, probability: round(p.probability, 3) })),
    evidence: explain(classification, signals),
    exposureCents: exposure,
    lossProbability: round(loss, 3),
    nextAction,
    similar: mostSimilar(
      tokens,
      subject.payerId,
      context.resolved.filter((c) => c.id !== subject.id),
    ),
    signals: tokens,
    summary: `Probably ${label.charAt(0).toLowerCase()}${label.slice(1)} (${percent} %); ${formatDollars(exposure)} of ${formatDollars(Math.abs(subject.amountCents))} at risk. Next: ${nextAction.text}`,
  };
}

/** What a person's resolve says about the suggestion: accepted when they chose the suggested cause. */
export function feedbackOf(
  suggested: Pick<Triage, 'cause' | 'modelVersion'> | undefined,
  chosen: Cause | undefined,
): { suggestedCause?: Cause; modelVersion?: string; outcome: 'accepted' | 'overridden' | 'unlabelled' } {
  if (!chosen)
    return {
      outcome: 'unlabelled',
      ...(suggested ? { suggestedCause: suggested.cause, modelVersion: suggested.modelVersion } : {}),
    };
  if (!suggested) return { outcome: 'unlabelled' };
  return {
    suggestedCause: suggested.cause,
    modelVersion: suggested.modelVersion,
    outcome: suggested.cause === chosen ? 'accepted' : 'overridden',
  };
}

// ---- API shapes ----

export const CauseSchema = z.enum(CAUSES).meta({ id: 'TriageCause', description: 'docs/triage.md#taxonomy' });
export const ActionSchema = z.enum(ACTIONS).meta({ id: 'TriageAction' });

export const TriageView = z
  .object({
    modelVersion: z.string().meta({ description: 'The model that made this suggestion' }),
    triagedAt: z.string(),
    cause: CauseSchema,
    causeLabel: z.string(),
    confidence: z.number().min(0).max(1),
    alternatives: z.array(z.object({ cause: CauseSchema, probability: z.number() })),
    evidence: z.array(
      z.object({
        signal: z.string(),
        weight: z.number().meta({ description: 'Log-odds for the cause against the runner-up' }),
        text: z.string(),
      }),
    ),
    exposureCents: z.number().int().meta({ description: 'Money at stake × probability of loss (US cents)' }),
    lossProbability: z.number().min(0).max(1),
    nextAction: z.object({
      action: ActionSchema,
      text: z.string(),
      runbook: z.string(),
      api: z.object({ method: z.enum(['GET', 'POST', 'PUT']), path: z.string() }).optional(),
    }),
    similar: z.array(
      z.object({
        exceptionId: z.string(),
        similarity: z.number(),
        cause: CauseSchema.optional(),
        action: z.string().optional(),
        resolutionCode: z.string().optional(),
        note: z.string(),
        resolvedAt: z.string(),
      }),
    ),
    signals: z.array(z.string()),
    summary: z.string(),
    priorityRank: z.number().int().optional().meta({
      description: 'Rank in its team’s open queue by exposure (1 = most at risk); open exceptions only',
    }),
  })
  .meta({ id: 'Triage' });
export type TriageView = z.infer<typeof TriageView>;
