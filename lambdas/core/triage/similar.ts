/**
 * The resolved exceptions most like a new one, and how people resolved them. Similarity is a weighted
 * Jaccard over the triage signals: the exception's kind counts most, the Odoo fault and reason codes next,
 * reason words after; age and amount buckets barely count (they say little about the cause).
 */
import type { Cause } from './taxonomy.js';

export interface ResolvedCase {
  id: string;
  payerId?: string;
  tokens: readonly string[];
  cause?: Cause;
  action?: string;
  resolutionCode?: string;
  note: string;
  resolvedAt: string;
}

export interface SimilarCase {
  exceptionId: string;
  similarity: number;
  cause?: Cause;
  action?: string;
  resolutionCode?: string;
  note: string;
  resolvedAt: string;
}

function weight(token: string): number {
  if (token.startsWith('kind:')) return 3;
  if (token.startsWith('fault:') || token.startsWith('carc:')) return 2;
  if (token.startsWith('word:')) return 1;
  return 0.25;
}

export function similarity(a: readonly string[], b: readonly string[]): number {
  const left = new Set(a);
  const right = new Set(b);
  let shared = 0;
  let union = 0;
  for (const token of new Set([...left, ...right])) {
    const w = weight(token);
    union += w;
    if (left.has(token) && right.has(token)) shared += w;
  }
  return union === 0 ? 0 : shared / union;
}

/** Up to `limit` cases at least `minimum` alike, most alike first (then newest, then id). */
export function mostSimilar(
  tokens: readonly string[],
  payerId: string | undefined,
  cases: readonly ResolvedCase[],
  limit = 3,
  minimum = 0.3,
): SimilarCase[] {
  return cases
    .map((c) => {
      // The same payer is a small bonus: payers repeat their habits.
      const bonus = payerId && c.payerId === payerId ? 0.05 : 0;
      return { c, score: Math.min(1, similarity(tokens, c.tokens) + bonus) };
    })
    .filter(({ score }) => score >= minimum)
    .sort(
      (x, y) =>
        y.score - x.score || y.c.resolvedAt.localeCompare(x.c.resolvedAt) || x.c.id.localeCompare(y.c.id),
    )
    .slice(0, limit)
    .map(({ c, score }) => ({
      exceptionId: c.id,
      similarity: Math.round(score * 100) / 100,
      ...(c.cause ? { cause: c.cause } : {}),
      ...(c.action ? { action: c.action } : {}),
      ...(c.resolutionCode ? { resolutionCode: c.resolutionCode } : {}),
      note: c.note,
      resolvedAt: c.resolvedAt,
    }));
}
