/**
 * Revenue exposure (docs/triage.md#exposure): money at stake × probability of losing it, for the exception's
 * probable cause and age. Causes tied to a payer deadline (timely filing, appeal) grow toward certain loss as
 * the deadline approaches; the deadlines are data per payer (stage config), not code. Integer cents in, integer
 * cents out, never more than the money at stake.
 */
import * as z from 'zod';
import { type Cause, TAXONOMY } from './taxonomy.js';

export const PayerWindow = z
  .object({
    /** Days from the opening of a claim problem within which a corrected claim is still accepted. */
    filingDays: z.number().int().min(1).max(3650),
    /** Days within which a denial or short-pay can be appealed. */
    appealDays: z.number().int().min(1).max(3650),
  })
  .strict();
export type PayerWindow = z.infer<typeof PayerWindow>;

/** `{"default": {...}, "payers": {"<payerId>": {...}}}` — the stage's timely-filing and appeal windows. */
export const PayerWindows = z
  .object({
    default: PayerWindow.default({ filingDays: 90, appealDays: 180 }),
    payers: z.record(z.string(), PayerWindow).default({}),
  })
  .strict();
export type PayerWindows = z.infer<typeof PayerWindows>;
export type PayerWindowsInput = z.input<typeof PayerWindows>;

export const DEFAULT_WINDOWS: PayerWindows = PayerWindows.parse({});

export function windowFor(windows: PayerWindows, payerId: string | undefined): PayerWindow {
  return (payerId ? windows.payers[payerId] : undefined) ?? windows.default;
}

/** Loss probability once a deadline has passed: a late appeal is rarely won, never certain to fail. */
const LATE_LOSS = 0.95;

/** Probability of losing the money at stake for `cause` when the exception is `ageDays` old. */
export function lossProbability(cause: Cause, ageDays: number, window: PayerWindow): number {
  const spec = TAXONOMY[cause];
  if (spec.deadline === 'none' || spec.baseLoss >= LATE_LOSS) return spec.baseLoss;
  const days = spec.deadline === 'filing' ? window.filingDays : window.appealDays;
  const elapsed = Math.min(1, Math.max(0, ageDays) / days);
  // Quadratic: little changes in the first weeks, the risk climbs steeply in the last part of the window.
  return spec.baseLoss + (LATE_LOSS - spec.baseLoss) * elapsed * elapsed;
}

/**
 * Expected loss over the posterior: Σ P(cause) × loss(cause, age). With a confident cause this is that
 * cause's loss; with an uncertain one it does not bet the ranking on the first guess.
 */
export function expectedLossProbability(
  posterior: ReadonlyArray<{ cause: Cause; probability: number }>,
  ageDays: number,
  window: PayerWindow,
): number {
  const p = posterior.reduce((sum, c) => sum + c.probability * lossProbability(c.cause, ageDays, window), 0);
  return Math.min(1, Math.max(0, p));
}

/** Exposure in cents: floor(|at stake| × p), so it never exceeds the money at stake and never goes negative. */
export function exposureCents(amountCents: number, probability: number): number {
  const stake = Math.abs(Math.trunc(amountCents));
  const p = Math.min(1, Math.max(0, Number.isFinite(probability) ? probability : 0));
  return Math.min(stake, Math.floor(stake * p));
}

export interface Rankable {
  id: string;
  team: string;
  exposureCents: number;
  openedAt: string;
}

/**
 * Priority rank per team: 1 = the most revenue at risk; ties go to the older exception, then the id, so the
 * order is total and stable. Every item gets exactly one rank, 1..n within its team.
 */
export function rankByTeam(items: readonly Rankable[]): Map<string, number> {
  const byTeam = new Map<string, Rankable[]>();
  for (const item of items) byTeam.set(item.team, [...(byTeam.get(item.team) ?? []), item]);
  const ranks = new Map<string, number>();
  for (const group of byTeam.values()) {
    [...group].sort(priorityOrder).forEach((item, index) => ranks.set(item.id, index + 1));
  }
  return ranks;
}

export function priorityOrder(a: Rankable, b: Rankable): number {
  return (
    b.exposureCents - a.exposureCents || a.openedAt.localeCompare(b.openedAt) || a.id.localeCompare(b.id)
  );
}
