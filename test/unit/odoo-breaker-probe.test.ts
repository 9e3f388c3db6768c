import { describe, expect, it } from 'vitest';
import { type BreakerState, closedBreaker, recordOutcome } from '../../lambdas/core/odoo-breaker.js';
import {
  type BreakerRecordPort,
  drainPerSecond,
  OdooBreakerProbeCycle,
} from '../../lambdas/core/odoo-breaker-probe.js';

// Issue 12: the probe cycle both the AWS probe Lambda and the local runtime run; here with fake ports and a
// clock that is a number (never the wall clock).
const T0 = 1_800_000_000_000;

function harness(initial: BreakerState, options: { counter?: boolean } = {}) {
  let record: BreakerRecordPort = { state: initial, version: 1 };
  const world = {
    odooUp: false,
    enabled: true as boolean | undefined,
    switches: [] as boolean[],
    backlog: 100,
    drained: 0,
    probes: 0,
    told: [] as string[],
    figures: [] as unknown[],
  };
  const cycle = new OdooBreakerProbeCycle(
    {
      store: {
        read: async () => record,
        update: async (change) => {
          record = { ...change(record), version: record.version + 1 };
          return record;
        },
      },
      probeOdoo: async () => {
        world.probes += 1;
        if (!world.odooUp) throw new Error('connect ECONNREFUSED');
      },
      consumers: {
        enabled: async () => world.enabled,
        setEnabled: async (enabled) => {
          world.switches.push(enabled);
          world.enabled = enabled;
        },
      },
      backlog: async () => world.backlog,
      ...(options.counter ? { drained: async () => world.drained } : {}),
      notify: async (subject, message) => {
        world.told.push(`${subject} | ${message}`);
      },
      metrics: (figures) => world.figures.push(figures),
    },
    { windowMs: 10_000, backlogWriteEveryMs: 0 },
  );
  return { cycle, world, record: () => record };
}

function opened(at: number): BreakerState {
  let state = closedBreaker(at);
  for (let i = 0; i < 5; i++) state = recordOutcome(state, { kind: 'failed', error: 'HTTP 502' }, at);
  return state;
}

describe('the breaker probe cycle', () => {
  it('pauses the writers when the breaker opens, probes on schedule, resumes them when Odoo answers', async () => {
    const { cycle, world, record } = harness(opened(T0));

    await cycle.run(T0);
    expect(world.switches).toEqual([false]); // paused at once, before any probe is due
    expect(world.probes).toBe(0);

    await cycle.run(T0 + 2_000); // first probe due (policy: 2 s), Odoo still down
    expect(world.probes).toBe(1);
    expect(record().state.status).toBe('open');
    expect(world.switches).toEqual([false]);

    world.odooUp = true;
    await cycle.run(T0 + 3_000); // next probe not due yet (4 s after the failed one)
    expect(world.probes).toBe(1);
    await cycle.run(T0 + 6_000);
    expect(world.probes).toBe(2);
    expect(record().state.status).toBe('closed');
    expect(world.switches).toEqual([false, true]);
  });

  it('leaves a switch that is changing state alone, and acts on the next cycle', async () => {
    const { cycle, world } = harness(opened(T0));
    world.enabled = undefined; // AWS: the mapping is `Disabling` or `Updating`
    await cycle.run(T0);
    expect(world.switches).toEqual([]);
    world.enabled = true;
    await cycle.run(T0 + 500);
    expect(world.switches).toEqual([false]);
  });

  it('re-enables writers found paused while the breaker is closed (a lost resume heals itself)', async () => {
    const { cycle, world } = harness(closedBreaker(T0));
    world.enabled = false;
    await cycle.run(T0);
    expect(world.switches).toEqual([true]);
  });

  it('tells operators once when the breaker opens and once when it closes, with the backlog in words', async () => {
    const { cycle, world } = harness(closedBreaker(T0));
    await cycle.run(T0); // a closed breaker first seen is no news
    expect(world.told).toEqual([]);
    const open = harness(opened(T0 + 60_000));
    open.world.backlog = 5_230;
    await open.cycle.run(T0 + 12 * 60_000 + 60_000);
    await open.cycle.run(T0 + 12 * 60_000 + 60_500);
    open.world.odooUp = true;
    open.world.backlog = 5_000;
    await open.cycle.run(T0 + 13 * 60_000 + 60_500);
    expect(open.world.told).toEqual([
      'Odoo down: Odoo writes paused | Odoo down for 12 min (writers paused), backlog 5230, draining at 0/s; nothing is draining',
      'Odoo back: Odoo writes resumed | Odoo up, backlog 5000, draining at 3.8/s; at this rate the backlog clears in 22 min',
    ]);
    expect(open.world.figures.at(-1)).toEqual({
      breakerOpen: false,
      backlog: 5_000,
      drainPerSecond: 3.8,
      clearSeconds: 1316,
    });
  });

  it('reminds operators while the breaker stays open, rate-limited, not at every probe cycle', async () => {
    const { cycle, world } = harness(opened(T0));
    world.backlog = 900;
    for (let t = T0; t <= T0 + 40 * 60_000; t += 2_000) await cycle.run(t);
    // Opened at T0, then 15 and 30 min later; 1,200 cycles in all.
    expect(world.told.map((m) => m.split(' | ')[0])).toEqual([
      'Odoo down: Odoo writes paused',
      'Odoo still down: Odoo writes paused',
      'Odoo still down: Odoo writes paused',
    ]);
    expect(world.told[2]).toMatch(
      /\| Odoo down for 30 min \(writers paused\), backlog 900, draining at 0\/s/,
    );
    world.odooUp = true;
    // The next probe is due by the breaker's back-off (at most 30 s apart): then Odoo is back, once.
    for (let t = T0 + 40 * 60_000 + 2_000; t <= T0 + 42 * 60_000; t += 2_000) await cycle.run(t);
    expect(world.told).toHaveLength(4);
    expect(world.told.at(-1)).toMatch(/^Odoo back: Odoo writes resumed \| Odoo up, backlog 900/);
  });

  it('records the backlog and its net drain rate for /health and the alarm', async () => {
    const { cycle, world, record } = harness(closedBreaker(T0));
    await cycle.run(T0);
    world.backlog = 80;
    await cycle.run(T0 + 4_000);
    expect(record().backlog).toEqual({ backlog: 80, drainPerSecond: 5, observedAt: T0 + 4_000 });
    world.backlog = 130; // over the window arrivals outpaced posting: the net drain reads 0, never negative
    await cycle.run(T0 + 8_000);
    expect(record().backlog?.drainPerSecond).toBe(0);
  });

  it('a fresh instance (a cold AWS probe) takes the rate from the stored observation', async () => {
    // Another instance stored 400 a minute ago; this one sees 100 now: 300 in 60 s.
    const fresh = harness(closedBreaker(T0));
    Object.assign(fresh.record(), { backlog: { backlog: 400, drainPerSecond: 3, observedAt: T0 } });
    fresh.world.backlog = 100;
    await fresh.cycle.run(T0 + 60_000);
    expect(fresh.record().backlog).toEqual({ backlog: 100, drainPerSecond: 5, observedAt: T0 + 60_000 });
  });
});

describe('the drain rate ("draining at R/s")', () => {
  it("is the drained counter's slope: documents arriving meanwhile do not hide what was drained", () => {
    // 600 drained in 60 s while 600 arrived: the backlog did not move, the writers drained 10/s.
    expect(
      drainPerSecond(
        { at: T0, backlog: 5_000, drained: 100 },
        { at: T0 + 60_000, backlog: 5_000, drained: 700 },
      ),
    ).toBe(10);
    // Without a counter only the net decrease is known, and reads 0 here.
    expect(drainPerSecond({ at: T0, backlog: 5_000 }, { at: T0 + 60_000, backlog: 5_000 })).toBe(0);
    expect(drainPerSecond({ at: T0, backlog: 400 }, { at: T0 + 60_000, backlog: 100 })).toBe(5);
  });

  it('never reads negative or infinite (arrivals outpacing, a reset counter, no time elapsed)', () => {
    expect(drainPerSecond({ at: T0, backlog: 100 }, { at: T0 + 10_000, backlog: 300 })).toBe(0);
    expect(
      drainPerSecond({ at: T0, backlog: 0, drained: 900 }, { at: T0 + 10_000, backlog: 0, drained: 20 }),
    ).toBe(0);
    expect(drainPerSecond({ at: T0, backlog: 9, drained: 0 }, { at: T0, backlog: 0, drained: 9 })).toBe(0);
  });

  it("the cycle reports the counter's rate, and its time to clear, while the backlog holds steady", async () => {
    const { cycle, world, record } = harness(closedBreaker(T0), { counter: true });
    world.backlog = 5_000;
    world.drained = 1_000;
    await cycle.run(T0);
    world.drained = 1_095; // 95 drained in 10 s, 95 arrived
    await cycle.run(T0 + 10_000);
    expect(record().backlog).toEqual({
      backlog: 5_000,
      drainPerSecond: 9.5,
      observedAt: T0 + 10_000,
      drained: 1_095,
    });
    expect(world.figures.at(-1)).toEqual({
      breakerOpen: false,
      backlog: 5_000,
      drainPerSecond: 9.5,
      clearSeconds: 526,
    });
  });

  it("a cold probe measures from the stored observation's counter (AWS: a new instance each few minutes)", async () => {
    const fresh = harness(closedBreaker(T0), { counter: true });
    Object.assign(fresh.record(), {
      backlog: { backlog: 5_000, drainPerSecond: 0, observedAt: T0, drained: 1_000 },
    });
    fresh.world.backlog = 5_200;
    fresh.world.drained = 1_480; // 480 in 60 s although the backlog grew
    await fresh.cycle.run(T0 + 60_000);
    expect(fresh.record().backlog?.drainPerSecond).toBe(8);
  });
});
