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
});
