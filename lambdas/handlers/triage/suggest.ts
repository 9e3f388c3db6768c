/**
 * The triage use cases the handlers share: suggest for one entry, learn from people's resolutions (retrain),
 * and re-suggest for open entries with the new model. The decisions are the core's (lambdas/core/triage); this
 * module only reads and writes them through the TriageStore.
 */

import type { ExceptionFact } from '../../adapters/dynamodb/exception-store.js';
import type { TriageStore } from '../../adapters/dynamodb/triage-store.js';
import type { AuditFact } from '../../core/audit.js';
import { type ExceptionEntry, openingFact, triageSubject } from '../../core/exceptions.js';
import { DEFAULT_WINDOWS, PayerWindows } from '../../core/triage/exposure.js';
import { type TrainingExample, type TriageModel, train, usualCause } from '../../core/triage/model.js';
import { signalsOf } from '../../core/triage/signals.js';
import type { ResolvedCase } from '../../core/triage/similar.js';
import type { Cause } from '../../core/triage/taxonomy.js';
import { type Triage, triage } from '../../core/triage/triage.js';
import { env } from '../../env.js';

/** Who the register names for suggestions and retrains (never a person). */
export const TRIAGE_CLIENT = 'rcm-hub:triage';

/** Stage data: timely-filing and appeal windows per payer (cdk.json `triage.payerWindows`). */
export function payerWindows(): PayerWindows {
  const raw = process.env[env.triagePayerWindows];
  return raw ? PayerWindows.parse(JSON.parse(raw)) : DEFAULT_WINDOWS;
}

const RULES_MODEL = train([]);

export async function currentModel(store: TriageStore): Promise<TriageModel> {
  return (await store.currentModel())?.model ?? RULES_MODEL;
}

export const subjectOf = triageSubject;

/** The signals a resolved entry was judged on: those its triage saw, or (untriaged) the ones at its opening. */
function tokensOf(entry: ExceptionEntry): string[] {
  return (
    entry.triage?.signals ??
    signalsOf(subjectOf(entry), { now: Date.parse(entry.openedAt) }).map((s) => s.token)
  );
}

export function resolvedCaseOf(entry: ExceptionEntry): ResolvedCase | undefined {
  if (!entry.resolution) return undefined;
  return {
    id: entry.id,
    ...(entry.payerId ? { payerId: entry.payerId } : {}),
    tokens: tokensOf(entry),
    ...(entry.resolution.cause ? { cause: entry.resolution.cause } : {}),
    ...(entry.resolution.action ? { action: entry.resolution.action } : {}),
    ...(entry.resolution.code ? { resolutionCode: entry.resolution.code } : {}),
    note: entry.resolution.note,
    resolvedAt: entry.resolution.at,
  };
}

/** Resolved cases to compare with: the register's newest resolved entries (bounded). */
const SIMILAR_POOL = 300;

export async function suggest(
  store: TriageStore,
  entry: ExceptionEntry,
  now: number,
  model?: TriageModel,
  pool?: readonly ResolvedCase[],
): Promise<Triage> {
  const resolved =
    pool ??
    (await store.entries('resolved', SIMILAR_POOL)).flatMap((e) => {
      const c = resolvedCaseOf(e);
      return c ? [c] : [];
    });
  const payerHistory = entry.payerId
    ? usualCause(resolved.filter((c) => c.payerId === entry.payerId && c.cause).map((c) => c.cause as Cause))
    : undefined;
  return triage(subjectOf(entry), {
    model: model ?? (await currentModel(store)),
    now,
    windows: payerWindows(),
    resolved,
    ...(payerHistory ? { payerHistory } : {}),
  });
}

/** The entry with its suggestion: a change of its own (a version, and the audit line of `triagedFact`). */
export function withTriage(entry: ExceptionEntry, suggestion: Triage): ExceptionEntry {
  return { ...entry, triage: suggestion, version: entry.version + 1 };
}

/** The audit line that records which model suggested what. */
export function triagedFact(suggestion: Triage): AuditFact {
  return { at: suggestion.triagedAt, action: 'triaged', actor: TRIAGE_CLIENT, note: auditNote(suggestion) };
}

/** The opening lines of a new entry: opened (1) and, when it came with a suggestion, triaged (2). */
export function openingFacts(entry: ExceptionEntry, openedBy: string): ExceptionFact[] {
  return [
    openingFact(entry, openedBy),
    ...(entry.triage ? [{ ...triagedFact(entry.triage), entryVersion: 2 }] : []),
  ];
}

export function auditNote(suggestion: Triage): string {
  return `model ${suggestion.modelVersion}: probable cause ${suggestion.cause} (${Math.round(suggestion.confidence * 100)} %), exposure ${suggestion.exposureCents} cents, next ${suggestion.nextAction.action}`;
}

/** Labelled resolutions to learn from: at most this many, newest first per team. */
const TRAINING_LIMIT = 5000;
const RETRIAGE_LIMIT = 1000;

export interface RetrainResult {
  version: string;
  previousVersion: string;
  changed: boolean;
  examples: number;
  retriaged: number;
}

/**
 * Retrains from every resolved entry a person labelled with a cause, keeps the new version, and re-suggests
 * for the open entries triaged by an older version (their audit trail records the new suggestion). The same
 * labelled entries give the same version, so a retrain with nothing new changes nothing.
 */
export async function retrain(store: TriageStore, now: number): Promise<RetrainResult> {
  const resolved = await store.entries('resolved', TRAINING_LIMIT);
  const examples: TrainingExample[] = resolved.flatMap((e) =>
    e.resolution?.cause ? [{ tokens: tokensOf(e), cause: e.resolution.cause }] : [],
  );
  const previous = await currentModel(store);
  const model = train(examples);
  const labelled: Record<string, number> = {};
  for (const e of examples) labelled[e.cause] = (labelled[e.cause] ?? 0) + 1;
  const changed = await store.saveModel({ model, trainedAt: new Date(now).toISOString(), labelled });
  const pool = resolved.flatMap((e) => {
    const c = resolvedCaseOf(e);
    return c ? [c] : [];
  });
  let retriaged = 0;
  for (const entry of await store.entries('open', RETRIAGE_LIMIT)) {
    if (entry.triage?.modelVersion === model.version) continue;
    const suggestion = await suggest(store, entry, now, model, pool.slice(0, SIMILAR_POOL));
    if (await store.retriage(entry, suggestion, triagedFact(suggestion))) retriaged += 1;
  }
  return {
    version: model.version,
    previousVersion: previous.version,
    changed,
    examples: examples.length,
    retriaged,
  };
}
