import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../local/odoo-sandbox/store.js';

// The sandbox's data file is a snapshot plus a journal of committed calls (issue 16: rewriting the whole snapshot
// at every commit cost 0.2 s and more per call at month-end size). Whatever was committed must come back after a
// restart, exactly; what a raising call did must not; a kill in the middle of an append loses only that call.

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function dataFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-journal-'));
  dirs.push(dir);
  return join(dir, 'odoo.json');
}

/** Rows, the next id and the next counter value, the last two read by a call that is rolled back. */
function state(store: Store) {
  const rows = store.all('m').sort((a, b) => a.id - b.id);
  const probe: { nextId?: number; counter?: number } = {};
  try {
    store.transaction(() => {
      probe.nextId = store.insert('m', {}).id;
      probe.counter = store.nextCounter('INV/2026');
      throw new Error('probe: rolled back');
    });
  } catch {}
  return { rows: structuredClone(rows), ...probe };
}

function restart(file: string, minJournalBytes?: number): Store {
  const store = new Store(file, { minJournalBytes });
  expect(store.load()).toBe(true);
  return store;
}

type Change =
  | { kind: 'insert'; name: string }
  | { kind: 'rename'; pick: number; name: string }
  | { kind: 'delete'; pick: number }
  | { kind: 'count' }
  | { kind: 'fail' };
const change: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), name: fc.string({ maxLength: 3 }) }),
  fc.record({ kind: fc.constant('rename' as const), pick: fc.nat(), name: fc.string({ maxLength: 3 }) }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('count' as const) }),
  fc.record({ kind: fc.constant('fail' as const) }),
);
type Step = { kind: 'call'; changes: Change[] } | { kind: 'restart' };
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('call' as const),
      changes: fc.array(change, { minLength: 1, maxLength: 4 }),
    }),
    weight: 5,
  },
  { arbitrary: fc.record({ kind: fc.constant('restart' as const) }), weight: 1 },
);

function call(store: Store, changes: Change[]): void {
  try {
    store.transaction(() => {
      for (const c of changes) {
        const ids = store.all('m').map((row) => row.id);
        if (c.kind === 'insert') store.insert('m', { name: c.name });
        else if (c.kind === 'count') store.nextCounter('INV/2026');
        else if (c.kind === 'fail') throw new Error('the call raises: everything it did is undone');
        else if (ids.length > 0) {
          const id = ids[c.pick % ids.length] as number;
          if (c.kind === 'rename') store.update('m', id, { name: c.name });
          else store.delete('m', id);
        }
      }
    });
  } catch {}
}

describe('Odoo sandbox data file: snapshot and journal', () => {
  it('brings back after any restart exactly what was committed, through snapshots and journal', () => {
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 30 }),
        fc.constantFrom(0, 200, 1 << 20),
        (steps, minJournalBytes) => {
          const file = dataFile();
          let store = new Store(file, { minJournalBytes });
          store.transaction(() => store.insert('m', { name: 'seed' }));
          for (const s of steps) {
            if (s.kind === 'call') call(store, s.changes);
            else {
              const before = state(store);
              store = restart(file, minJournalBytes);
              expect(state(store)).toEqual(before);
            }
          }
          const before = state(store);
          expect(state(restart(file, minJournalBytes))).toEqual(before);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('appends a committed call to the journal instead of rewriting the snapshot', () => {
    const file = dataFile();
    const store = new Store(file);
    store.transaction(() => store.insert('m', { name: 'seed' }));
    const snapshot = readFileSync(file, 'utf8');
    for (let i = 0; i < 20; i++) store.transaction(() => store.insert('m', { name: `row ${i}` }));
    expect(readFileSync(file, 'utf8')).toBe(snapshot);
    const journal = readFileSync(`${file}.1.log`, 'utf8').trim().split('\n');
    expect(journal).toHaveLength(20);
    expect(JSON.parse(journal[19] as string).rows).toEqual([['m', 21, { name: 'row 19', id: 21 }]]);
  });

  it('folds the journal into a new snapshot once it outgrows the snapshot', () => {
    const file = dataFile();
    const store = new Store(file, { minJournalBytes: 0 });
    store.transaction(() => store.insert('m', { name: 'x'.repeat(500) }));
    for (let i = 0; i < 10; i++) store.transaction(() => store.update('m', 1, { name: 'y'.repeat(100 + i) }));
    const files = readdirSync(join(file, '..')).filter((name) => name.endsWith('.log'));
    expect(files).toHaveLength(1);
    expect(Number(files[0]?.split('.')[2])).toBeGreaterThan(1);
    expect(statSync(join(file, '..', files[0] as string)).size).toBeLessThanOrEqual(statSync(file).size * 2);
    expect(restart(file).get('m', 1)?.name).toBe('y'.repeat(109));
  });

  it('ignores a last line cut short by a kill, and refuses a journal broken in the middle', () => {
    const file = dataFile();
    const store = new Store(file);
    store.transaction(() => store.insert('m', { name: 'kept' }));
    store.transaction(() => store.insert('m', { name: 'also kept' }));
    appendFileSync(`${file}.1.log`, '{"rows":[["m",3,{"name":"torn"');
    const restarted = restart(file);
    expect(state(restarted).rows.map((row) => row.name)).toEqual(['kept', 'also kept']);
    // The next call's line must not land after the torn one.
    restarted.transaction(() => restarted.insert('m', { name: 'after' }));
    expect(state(restart(file)).rows.map((row) => row.name)).toEqual(['kept', 'also kept', 'after']);

    const broken = dataFile();
    const other = new Store(broken);
    other.transaction(() => other.insert('m', { name: 'a' }));
    appendFileSync(`${broken}.1.log`, 'not json\n');
    other.transaction(() => other.insert('m', { name: 'b' }));
    expect(() => new Store(broken).load()).toThrow(/journal line 1 is not JSON/);
  });

  it('loads a data file written before the journal, and never replays a leftover journal over a new snapshot', () => {
    const file = dataFile();
    writeFileSync(
      file,
      JSON.stringify({
        format: 'odoo-sandbox/1',
        tables: { m: [{ id: 1, name: 'old' }] },
        nextIds: { m: 2 },
        counters: {},
      }),
    );
    // A journal of a later generation than any snapshot refers to, left behind when a data file was deleted.
    writeFileSync(
      `${file}.1.log`,
      `${JSON.stringify({ rows: [['m', 1, { id: 1, name: 'stale' }]], nextIds: {}, counters: {} })}\n`,
    );
    const store = restart(file);
    expect(store.get('m', 1)?.name).toBe('old');
    store.transaction(() => store.insert('m', { name: 'new' }));
    expect(state(restart(file)).rows.map((row) => row.name)).toEqual(['old', 'new']);
  });
});
