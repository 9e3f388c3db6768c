import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isAllowedTransition,
  nextPosition,
  stageIndex,
  WORKFLOW_STATES,
  type WorkflowEffect,
  type WorkflowPosition,
  type WorkflowState,
} from '../../lambdas/core/workflow.js';

type Stage = Exclude<WorkflowState, 'exception_pending'>;
const STAGES = WORKFLOW_STATES.filter((state): state is Stage => state !== 'exception_pending');

const stage = fc.constantFrom(...STAGES);
const reach = stage.map((state): WorkflowEffect => ({ kind: 'reach', state }));
const raise = fc
  .constantFrom('CO-45 contractual adjustment disputed', 'Odoo refused the invoice', 'payer denied the claim')
  .map((reason): WorkflowEffect => ({ kind: 'raise', reason }));
const clear = fc.constant<WorkflowEffect>({ kind: 'clear' });
const none = fc.constant<WorkflowEffect>({ kind: 'none' });
const effect = fc.oneof(reach, raise, clear, none);
const effects = fc.array(effect, { maxLength: 40 });

/** Applies effects from a new encounter, returning every position along the way. */
function replay(
  sequence: readonly WorkflowEffect[],
  start: WorkflowPosition | null = null,
): WorkflowPosition[] {
  const positions: WorkflowPosition[] = [];
  let current = start;
  for (const next of sequence) {
    current = nextPosition(current, next);
    positions.push(current);
  }
  return positions;
}

/** Any position an encounter can actually be in. */
const reachablePosition = fc
  .array(effect, { minLength: 1, maxLength: 30 })
  .map((sequence) => replay(sequence).at(-1) as WorkflowPosition);

describe('the encounter workflow', () => {
  it('a new encounter starts at the first stage an event reaches', () => {
    fc.assert(
      fc.property(stage, (state) => {
        // Prepare — no workflow yet for this encounter

        // Act
        const position = nextPosition(null, { kind: 'reach', state });

        // Assess
        expect(position).toEqual({ state, stage: state, openExceptions: 0 });
      }),
    );
  });

  it('a stage never moves backward, whatever events arrive and in whatever order', () => {
    fc.assert(
      fc.property(effects, (sequence) => {
        // Prepare / Act
        const positions = replay(sequence);

        // Assess
        for (let i = 1; i < positions.length; i++) {
          const before = positions[i - 1] as WorkflowPosition;
          const after = positions[i] as WorkflowPosition;
          expect(stageIndex(after.stage)).toBeGreaterThanOrEqual(stageIndex(before.stage));
        }
      }),
    );
  });

  it('a late invoice_issued after payment_posted does not pull the encounter back', () => {
    // Prepare
    const paid = replay([
      { kind: 'reach', state: 'invoice_issued' },
      { kind: 'reach', state: 'payment_posted' },
    ]).at(-1) as WorkflowPosition;

    // Act
    const position = nextPosition(paid, { kind: 'reach', state: 'invoice_issued' });

    // Assess
    expect(position).toEqual({ state: 'payment_posted', stage: 'payment_posted', openExceptions: 0 });
  });

  it('raising an exception always leaves the encounter exception_pending with one more open exception', () => {
    fc.assert(
      fc.property(fc.option(reachablePosition, { nil: null }), raise, (current, raised) => {
        // Prepare — any encounter, new or not

        // Act
        const position = nextPosition(current, raised);

        // Assess
        expect(position.state).toBe('exception_pending');
        expect(position.openExceptions).toBe((current?.openExceptions ?? 0) + 1);
        expect(position.stage).toBe(current?.stage ?? 'charge_ready');
      }),
    );
  });

  it('n raised exceptions need n clears before the encounter leaves exception_pending', () => {
    fc.assert(
      fc.property(
        reachablePosition,
        fc.integer({ min: 1, max: 8 }),
        fc.array(reach, { maxLength: 5 }),
        (start, n, progressMeanwhile) => {
          // Prepare — n exceptions raised, with the workflow still progressing underneath
          const raised = replay(
            [
              ...Array.from({ length: n }, (): WorkflowEffect => ({ kind: 'raise', reason: 'denied' })),
              ...progressMeanwhile,
            ],
            start,
          ).at(-1) as WorkflowPosition;
          const open = start.openExceptions + n;

          // Act
          const clearing = replay(
            Array.from({ length: open }, (): WorkflowEffect => ({ kind: 'clear' })),
            raised,
          );

          // Assess
          expect(raised.state).toBe('exception_pending');
          for (const position of clearing.slice(0, -1)) expect(position.state).toBe('exception_pending');
          const cleared = clearing.at(-1) as WorkflowPosition;
          expect(cleared.openExceptions).toBe(0);
          expect(cleared.state).toBe(raised.stage);
        },
      ),
    );
  });

  it('once every exception clears, the encounter stands at the furthest stage it reached', () => {
    fc.assert(
      fc.property(effects, (sequence) => {
        // Prepare — an independent model of the workflow
        let furthest: Stage = 'charge_ready';
        let open = 0;
        for (const next of sequence) {
          if (next.kind === 'reach' && stageIndex(next.state) > stageIndex(furthest)) furthest = next.state;
          if (next.kind === 'raise') open += 1;
          if (next.kind === 'clear') open = Math.max(0, open - 1);
        }

        // Act
        const position = replay(sequence).at(-1) ?? nextPosition(null, { kind: 'none' });

        // Assess
        expect(position.stage).toBe(furthest);
        expect(position.openExceptions).toBe(open);
        expect(position.state).toBe(open === 0 ? furthest : 'exception_pending');
      }),
    );
  });

  it('a clear with no open exception changes nothing', () => {
    fc.assert(
      fc.property(reachablePosition, (start) => {
        // Prepare
        const settled =
          replay(
            Array.from({ length: start.openExceptions }, (): WorkflowEffect => ({ kind: 'clear' })),
            start,
          ).at(-1) ?? start;

        // Act
        const position = nextPosition(settled, { kind: 'clear' });

        // Assess
        expect(position).toEqual({ state: settled.stage, stage: settled.stage, openExceptions: 0 });
      }),
    );
  });

  it('every transition the workflow makes is an allowed transition', () => {
    fc.assert(
      fc.property(effects, (sequence) => {
        // Prepare / Act
        const positions = replay(sequence);

        // Assess
        let previous: WorkflowState | null = null;
        for (const position of positions) {
          expect(isAllowedTransition(previous, position.state)).toBe(true);
          previous = position.state;
        }
      }),
    );
  });

  it('an event with no effect leaves the position untouched', () => {
    fc.assert(
      fc.property(reachablePosition, (current) => {
        // Prepare
        const before = structuredClone(current);

        // Act
        const position = nextPosition(current, { kind: 'none' });

        // Assess
        expect(position).toEqual(before);
      }),
    );
  });
});

describe('allowed transitions', () => {
  it.each<[WorkflowState | null, WorkflowState, boolean]>([
    [null, 'payment_posted', true],
    ['charge_ready', 'invoice_issued', true],
    ['invoice_issued', 'payment_posted', true],
    ['claim_submitted', 'claim_submitted', true],
    ['payment_posted', 'exception_pending', true],
    ['exception_pending', 'charge_ready', true],
    ['payment_posted', 'invoice_issued', false],
    ['reconciled', 'charge_ready', false],
    ['payer_response_received', 'claim_submitted', false],
  ])('%s → %s is allowed: %s', (from, to, allowed) => {
    // Prepare — see the table

    // Act
    const result = isAllowedTransition(from, to);

    // Assess
    expect(result).toBe(allowed);
  });

  it('between two stages, only forward moves are allowed', () => {
    fc.assert(
      fc.property(stage, stage, (from, to) => {
        // Prepare / Act
        const allowed = isAllowedTransition(from, to);

        // Assess
        expect(allowed).toBe(stageIndex(to) >= stageIndex(from));
      }),
    );
  });
});
