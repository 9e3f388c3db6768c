import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { type IndexKey, Store } from '../../local/odoo-sandbox/store.js';

// The sandbox finds external ids and a move's lines by lookup indexes instead of scanning its tables (issue 16:
// the scans made a month-end setup quadratic). An index must answer what a scan would, after every kind of
// change, a rolled-back call and a reload.

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const byName: IndexKey = (row) => (typeof row.name === 'string' ? row.name : undefined);
const scan = (store: Store, name: string) =>
  store
    .all('m')
    .filter((row) => row.name === name)
    .map((row) => row.id)
    .sort((a, b) => a - b);
const indexed = (store: Store, name: string) => store.lookup('m', 'name', name).map((row) => row.id);

type Change =
  | { kind: 'insert'; name: string | false }
  | { kind: 'rename'; pick: number; name: string | false }
  | { kind: 'delete'; pick: number }
  | { kind: 'fail' };

const names = fc.constantFrom<string | false>('a', 'b', 'c', false);
const change: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), name: names }),
  fc.record({ kind: fc.constant('rename' as const), pick: fc.nat(), name: names }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('fail' as const) }),
);

describe('Odoo sandbox lookup indexes', () => {
  it('answer what a scan of the table would, through commits, rollbacks and a reload', () => {
    fc.assert(
      fc.property(fc.array(fc.array(change, { minLength: 1, maxLength: 5 }), { maxLength: 25 }), (calls) => {
        const dir = mkdtempSync(join(tmpdir(), 'sandbox-store-'));
        dirs.push(dir);
        const file = join(dir, 'odoo.json');
        const store = new Store(file);
        store.defineIndex('m', 'name', byName);
        for (const call of calls) {
          try {
            store.transaction(() => {
              for (const c of call) {
                const ids = store.all('m').map((row) => row.id);
                if (c.kind === 'insert') store.insert('m', { name: c.name });
                else if (c.kind === 'fail') throw new Error('the call raises: everything it did is undone');
                else if (ids.length > 0) {
                  const id = ids[c.pick % ids.length] as number;
                  if (c.kind === 'rename') store.update('m', id, { name: c.name });
                  else store.delete('m', id);
                }
              }
            });
          } catch {
            // rolled back
          }
          for (const name of ['a', 'b', 'c']) expect(indexed(store, name)).toEqual(scan(store, name));
        }
        const reloaded = new Store(file);
        reloaded.defineIndex('m', 'name', byName);
        reloaded.load();
        for (const name of ['a', 'b', 'c']) expect(indexed(reloaded, name)).toEqual(scan(reloaded, name));
      }),
      { numRuns: 100 },
    );
  });

  // A sequence's last number is asked at every posted move: the ranked index keeps each key's greatest instead
  // of walking the sequence, and must still answer what the walk would, whatever moved, lowered or rolled back.
  it("answer a key's greatest rank, the asking row left out, as a scan would", () => {
    type RankChange =
      | { kind: 'insert'; name: string | false; n: number }
      | { kind: 'set'; pick: number; name: string | false; n: number }
      | { kind: 'delete'; pick: number }
      | { kind: 'ask'; name: string; pick: number }
      | { kind: 'fail' };
    const n = fc.integer({ min: 0, max: 3 });
    const rankChange: fc.Arbitrary<RankChange> = fc.oneof(
      fc.record({ kind: fc.constant('insert' as const), name: names, n }),
      fc.record({ kind: fc.constant('set' as const), pick: fc.nat(), name: names, n }),
      fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('ask' as const), name: fc.constantFrom('a', 'b', 'c'), pick: fc.nat() }),
      fc.record({ kind: fc.constant('fail' as const) }),
    );
    const greatestByScan = (store: Store, name: string, except?: number) => {
      const ranks = store
        .all('m')
        .filter((row) => row.name === name && row.id !== except)
        .map((row) => row.n as number);
      return ranks.length ? Math.max(...ranks) : undefined;
    };
    const expectAsScan = (store: Store, name: string, except?: number) =>
      expect(store.greatestRank('m', 'name', name, except)).toEqual(greatestByScan(store, name, except));
    fc.assert(
      fc.property(
        fc.array(fc.array(rankChange, { minLength: 1, maxLength: 6 }), { maxLength: 25 }),
        (calls) => {
          const dir = mkdtempSync(join(tmpdir(), 'sandbox-store-'));
          dirs.push(dir);
          const file = join(dir, 'odoo.json');
          const store = new Store(file);
          store.defineIndex('m', 'name', byName, (row) => row.n as number);
          for (const call of calls) {
            try {
              store.transaction(() => {
                for (const c of call) {
                  const ids = store.all('m').map((row) => row.id);
                  const picked = ids.length && 'pick' in c ? (ids[c.pick % ids.length] as number) : undefined;
                  if (c.kind === 'insert') store.insert('m', { name: c.name, n: c.n });
                  else if (c.kind === 'fail') throw new Error('the call raises: everything it did is undone');
                  // Asked inside the call too: what it learns must not outlive a rollback.
                  else if (c.kind === 'ask') expectAsScan(store, c.name, picked);
                  else if (picked === undefined) continue;
                  else if (c.kind === 'set') store.update('m', picked, { name: c.name, n: c.n });
                  else store.delete('m', picked);
                }
              });
            } catch {
              // rolled back
            }
            for (const name of ['a', 'b', 'c']) {
              expectAsScan(store, name);
              for (const row of store.all('m')) expectAsScan(store, name, row.id);
            }
          }
          const reloaded = new Store(file);
          reloaded.defineIndex('m', 'name', byName, (row) => row.n as number);
          reloaded.load();
          for (const name of ['a', 'b', 'c']) expectAsScan(reloaded, name);
        },
      ),
      { numRuns: 300 },
    );
  });
});
