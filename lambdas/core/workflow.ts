import * as z from 'zod';

/**
 * One workflow per encounter. The happy path only moves forward; a stage may be skipped (a partner that
 * sends no charge message still invoices), and `exception_pending` can be entered from anywhere and left
 * back to where the encounter stood once a person resolves it.
 */
export const WORKFLOW_STATES = [
  'charge_ready',
  'invoice_issued',
  'claim_submitted',
  'payer_response_received',
  'payment_posted',
  'reconciled',
  'exception_pending',
] as const;
export const WorkflowState = z.enum(WORKFLOW_STATES);
export type WorkflowState = z.infer<typeof WorkflowState>;

const FORWARD_ORDER: readonly WorkflowState[] = WORKFLOW_STATES.filter((s) => s !== 'exception_pending');

/** Most actionable first: what needs a person, then the stages from the earliest (for listings). */
export const ACTIONABLE_ORDER: readonly WorkflowState[] = ['exception_pending', ...FORWARD_ORDER];

export function stageIndex(state: WorkflowState): number {
  return FORWARD_ORDER.indexOf(state);
}

/** What an event does to the workflow: reach a stage, raise an exception, or clear one. */
export type WorkflowEffect =
  | { kind: 'reach'; state: Exclude<WorkflowState, 'exception_pending'> }
  | { kind: 'raise'; reason: string }
  | { kind: 'clear' }
  | { kind: 'none' };

export interface WorkflowPosition {
  state: WorkflowState;
  /** Furthest stage reached; where the workflow returns to when an exception clears. */
  stage: Exclude<WorkflowState, 'exception_pending'>;
  openExceptions: number;
}

export function isAllowedTransition(from: WorkflowState | null, to: WorkflowState): boolean {
  if (from === null) return true;
  if (from === to) return true;
  if (to === 'exception_pending') return true;
  if (from === 'exception_pending') return true;
  return stageIndex(to) > stageIndex(from);
}

/**
 * Pure transition function. Stages never move backward here (reversals are their own events with their
 * own rules, added with the remittance work); an encounter with open exceptions stays `exception_pending`
 * while later stages are still recorded, so nothing that happened is lost.
 */
export function nextPosition(current: WorkflowPosition | null, effect: WorkflowEffect): WorkflowPosition {
  const base: WorkflowPosition = current ?? {
    state: 'charge_ready',
    stage: 'charge_ready',
    openExceptions: 0,
  };
  switch (effect.kind) {
    case 'none':
      return base;
    case 'reach': {
      const stage = stageIndex(effect.state) > stageIndex(base.stage) ? effect.state : base.stage;
      return {
        stage,
        openExceptions: base.openExceptions,
        state: base.openExceptions > 0 ? 'exception_pending' : stage,
      };
    }
    case 'raise':
      return { stage: base.stage, openExceptions: base.openExceptions + 1, state: 'exception_pending' };
    case 'clear': {
      const openExceptions = Math.max(0, base.openExceptions - 1);
      return {
        stage: base.stage,
        openExceptions,
        state: openExceptions > 0 ? 'exception_pending' : base.stage,
      };
    }
  }
}

/** The state a workflow shows: its stage, unless a person has an open exception to deal with. */
export function stateFor(stage: WorkflowPosition['stage'], openExceptions: number): WorkflowState {
  return openExceptions > 0 ? 'exception_pending' : stage;
}
