/**
 * The sandbox's "database": tables of plain rows, id sequences and document-number sequences.
 *
 * With a data file, state survives a restart as a real server's database does: a snapshot `<file>` of generation
 * g plus an append-only journal `<file>.<g>.log` holding, per committed call, the rows, id sequences and counters
 * it changed. Rewriting the whole snapshot at every commit cost 0.2 s and more per call once a month-end's
 * hundred thousand move lines were in it; a journal line costs what the call changed. A fresh snapshot (next
 * generation) is taken when there is none, after a load, a reset or a failed append, and when the journal
 * outgrows the snapshot.
 *
 * Each RPC call is one transaction, as in Odoo (odoo/service/model.py wraps every call in a cursor
 * that commits on success and rolls back on any exception). Mutations go through this class, which
 * keeps an undo log; `rollback()` replays it backwards so a raising call leaves no trace. Model code
 * is synchronous, so two calls never interleave inside a transaction.
 */
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

export type Row = { id: number; [field: string]: unknown };

/** The key a lookup index files a row under; undefined leaves the row out of that index. */
export type IndexKey = (row: Row) => string | undefined;

/**
 * A lookup index: rows by a key, kept by every insert, update, delete and rollback. Odoo finds an external id,
 * a move's lines or a journal's names by a database index; a scan of the whole table per look-up made the
 * sandbox quadratic in its size (a month-end setup holds tens of thousands of moves and external ids).
 */
interface LookupIndex {
  key: IndexKey;
  rows: Map<string, Set<number>>;
  /** A ranked index also answers each key's greatest rank, as a database's `ORDER BY … DESC LIMIT 1` does. */
  rank?: (row: Row) => number;
  /**
   * Per key, the row last known to hold the greatest rank. Kept up by inserts that beat it and checked before
   * use (still filed under the key, same rank): a write that moved or lowered it costs one scan of the key's rows.
   */
  top: Map<string, { id: number; rank: number }>;
}

interface Snapshot {
  format: 'odoo-sandbox/1';
  /** the journal that follows it is `<file>.<generation>.log`; absent in files written before the journal */
  generation?: number;
  tables: Record<string, Row[]>;
  nextIds: Record<string, number>;
  counters: Record<string, number>;
}

/** One committed call: rows as they now are (null: deleted), id sequences and counters it moved. */
interface JournalEntry {
  rows: [model: string, id: number, row: Row | null][];
  nextIds: Record<string, number | null>;
  counters: Record<string, number | null>;
}

export interface StoreOptions {
  /** the journal may grow to the snapshot's size, and at least this (default 4 MiB), before a new snapshot */
  minJournalBytes?: number;
}

type Undo =
  | { kind: 'insert'; model: string; id: number }
  | { kind: 'update'; model: string; before: Row }
  | { kind: 'delete'; model: string; before: Row }
  | { kind: 'nextId'; model: string; before: number | undefined }
  | { kind: 'counter'; key: string; before: number | undefined };

export class Store {
  private tables = new Map<string, Map<number, Row>>();
  private nextIds = new Map<string, number>();
  private counters = new Map<string, number>();
  private undoLog: Undo[] | undefined;
  private dirty = false;
  private indexes = new Map<string, Map<string, LookupIndex>>();
  /** What changed since the last journal line or snapshot: `model\u0000id` rows, id sequences, counters. */
  private changedRows = new Set<string>();
  private changedNextIds = new Set<string>();
  private changedCounters = new Set<string>();
  /** The data file's generation, snapshot size and journal size; undefined until a snapshot is loaded or written. */
  private files: { generation: number; snapshotBytes: number; journalBytes: number } | undefined;
  /** a journal line cannot say it (a wipe) or may be torn (a failed append): the next commit writes a snapshot */
  private snapshotDue = false;
  private readonly minJournalBytes: number;

  constructor(
    private readonly dataFile?: string,
    options: StoreOptions = {},
  ) {
    this.minJournalBytes = options.minJournalBytes ?? 4 * 1024 * 1024;
  }

  table(model: string): Map<number, Row> {
    let table = this.tables.get(model);
    if (!table) {
      table = new Map();
      this.tables.set(model, table);
    }
    return table;
  }

  get(model: string, id: number): Row | undefined {
    return this.tables.get(model)?.get(id);
  }

  all(model: string): Row[] {
    return [...this.table(model).values()];
  }

  /** Declares a lookup index on `model` (built from the rows already there), ranked by `rank` if given. */
  defineIndex(model: string, name: string, key: IndexKey, rank?: (row: Row) => number): void {
    let byName = this.indexes.get(model);
    if (!byName) {
      byName = new Map();
      this.indexes.set(model, byName);
    }
    const index: LookupIndex = { key, rows: new Map(), top: new Map(), ...(rank ? { rank } : {}) };
    byName.set(name, index);
    for (const row of this.table(model).values()) fileRow(index, row);
  }

  /** The rows of `model` whose index `name` key is `value`, in id order. */
  lookup(model: string, name: string, value: string): Row[] {
    const table = this.table(model);
    return [...this.indexedIds(model, name, value)]
      .sort((a, b) => a - b)
      .map((id) => table.get(id))
      .filter((row): row is Row => row !== undefined);
  }

  hasIndex(model: string, name: string): boolean {
    return this.indexes.get(model)?.has(name) ?? false;
  }

  /** The ids filed under `value` in index `name`, in no order; a live view, not to be kept across writes. */
  indexedIds(model: string, name: string, value: string): ReadonlySet<number> {
    const index = this.indexes.get(model)?.get(name);
    if (!index) throw new Error(`no index ${name} on ${model}`);
    return index.rows.get(value) ?? NO_IDS;
  }

  /**
   * The greatest rank among the rows filed under `value` in the ranked index `name`, `except` left out;
   * undefined when no other row is filed there. A sequence's last number (sequence.mixin `_get_last_sequence`)
   * is one indexed query in Odoo; a walk over the sequence per posted move made the sandbox quadratic in it.
   */
  greatestRank(model: string, name: string, value: string, except?: number): number | undefined {
    const index = this.indexes.get(model)?.get(name);
    const rank = index?.rank;
    if (!index || !rank) throw new Error(`no ranked index ${name} on ${model}`);
    const ids = index.rows.get(value);
    if (!ids) return undefined;
    const table = this.table(model);
    const scan = (leaveOut?: number) => {
      let top: { id: number; rank: number } | undefined;
      for (const id of ids) {
        const row = table.get(id);
        if (id === leaveOut || !row) continue;
        const r = rank(row);
        if (top === undefined || r > top.rank) top = { id, rank: r };
      }
      return top;
    };
    let top = index.top.get(value);
    const holder = top && table.get(top.id);
    if (!top || !holder || !ids.has(top.id) || rank(holder) !== top.rank) {
      top = scan();
      if (!top) return undefined;
      index.top.set(value, top);
    }
    // The greatest is the row asked about (a named move numbered again): the others', by a scan.
    return top.id === except ? scan(except)?.rank : top.rank;
  }

  private indexRow(model: string, row: Row): void {
    for (const index of this.indexes.get(model)?.values() ?? []) fileRow(index, row);
  }

  private unindexRow(model: string, row: Row): void {
    for (const index of this.indexes.get(model)?.values() ?? []) {
      const key = index.key(row);
      if (key === undefined) continue;
      const ids = index.rows.get(key);
      ids?.delete(row.id);
      if (ids?.size === 0) index.rows.delete(key);
    }
  }

  private rebuildIndexes(): void {
    for (const [model, byName] of this.indexes)
      for (const index of byName.values()) {
        index.rows.clear();
        index.top.clear();
        for (const row of this.table(model).values()) fileRow(index, row);
      }
  }

  insert(model: string, values: Omit<Row, 'id'> & { id?: number }): Row {
    const id = values.id ?? this.allocateId(model);
    if (values.id !== undefined && values.id >= (this.nextIds.get(model) ?? 1)) {
      this.setNextId(model, values.id + 1);
    }
    const row: Row = { ...values, id };
    this.table(model).set(id, row);
    this.indexRow(model, row);
    this.log({ kind: 'insert', model, id });
    this.changedRows.add(rowKey(model, id));
    return row;
  }

  update(model: string, id: number, patch: Record<string, unknown>): Row {
    const row = this.get(model, id);
    if (!row) throw new Error(`${model}(${id}) does not exist`);
    this.log({ kind: 'update', model, before: structuredClone(row) });
    this.unindexRow(model, row);
    Object.assign(row, patch, { id });
    this.indexRow(model, row);
    this.changedRows.add(rowKey(model, id));
    return row;
  }

  delete(model: string, id: number): void {
    const row = this.get(model, id);
    if (!row) return;
    this.log({ kind: 'delete', model, before: structuredClone(row) });
    this.unindexRow(model, row);
    this.table(model).delete(id);
    this.changedRows.add(rowKey(model, id));
  }

  /** Named counters: document number sequences (`INV/2026`), external-id suffixes, ... */
  nextCounter(key: string): number {
    const before = this.counters.get(key);
    this.log({ kind: 'counter', key, before });
    const value = (before ?? 0) + 1;
    this.counters.set(key, value);
    this.changedCounters.add(key);
    return value;
  }

  private allocateId(model: string): number {
    const id = this.nextIds.get(model) ?? 1;
    this.setNextId(model, id + 1);
    return id;
  }

  private setNextId(model: string, value: number): void {
    this.log({ kind: 'nextId', model, before: this.nextIds.get(model) });
    this.nextIds.set(model, value);
    this.changedNextIds.add(model);
  }

  private log(entry: Undo): void {
    this.dirty = true;
    this.undoLog?.push(entry);
  }

  begin(): void {
    if (this.undoLog) throw new Error('nested transaction');
    this.undoLog = [];
    this.dirty = false;
  }

  commit(): void {
    const changed = this.dirty;
    this.undoLog = undefined;
    this.dirty = false;
    if (changed) this.record();
  }

  rollback(): void {
    const log = this.undoLog ?? [];
    this.undoLog = undefined;
    for (let i = log.length - 1; i >= 0; i--) {
      const entry = log[i] as Undo;
      switch (entry.kind) {
        case 'insert': {
          const row = this.get(entry.model, entry.id);
          if (row) this.unindexRow(entry.model, row);
          this.table(entry.model).delete(entry.id);
          break;
        }
        case 'update':
        case 'delete': {
          const row = this.get(entry.model, entry.before.id);
          if (row) this.unindexRow(entry.model, row);
          this.table(entry.model).set(entry.before.id, entry.before);
          this.indexRow(entry.model, entry.before);
          break;
        }
        case 'nextId':
          if (entry.before === undefined) this.nextIds.delete(entry.model);
          else this.nextIds.set(entry.model, entry.before);
          break;
        case 'counter':
          if (entry.before === undefined) this.counters.delete(entry.key);
          else this.counters.set(entry.key, entry.before);
          break;
      }
    }
    this.dirty = false;
  }

  /** Runs `work` as one transaction: commit (and persist) on success, roll back on throw. */
  transaction<T>(work: () => T): T {
    this.begin();
    try {
      const result = work();
      this.commit();
      return result;
    } catch (error) {
      this.rollback();
      throw error;
    }
  }

  clear(): void {
    this.tables.clear();
    this.nextIds.clear();
    this.counters.clear();
    this.rebuildIndexes();
    // A journal can say what a call changed, not that everything went.
    this.snapshotDue = true;
  }

  /** Loads the data file and its journal if there is one; returns false when the caller must seed. */
  load(): boolean {
    if (!this.dataFile || !existsSync(this.dataFile)) return false;
    const snapshot = JSON.parse(readFileSync(this.dataFile, 'utf8')) as Snapshot;
    if (snapshot.format !== 'odoo-sandbox/1') throw new Error(`${this.dataFile}: unknown format`);
    this.clear();
    for (const [model, rows] of Object.entries(snapshot.tables)) {
      const table = this.table(model);
      for (const row of rows) table.set(row.id, row);
    }
    for (const [model, next] of Object.entries(snapshot.nextIds)) this.nextIds.set(model, next);
    for (const [key, value] of Object.entries(snapshot.counters)) this.counters.set(key, value);
    const generation = snapshot.generation ?? 0;
    const journal = this.journalFile(generation);
    if (existsSync(journal)) this.replay(readFileSync(journal, 'utf8'));
    this.rebuildIndexes();
    this.forgetChanges();
    // The journal may end in a torn line: the first commit writes the next generation's snapshot rather than
    // appending after it (clear() has made that snapshot due).
    this.files = { generation, snapshotBytes: 0, journalBytes: 0 };
    return true;
  }

  private replay(journal: string): void {
    const lines = journal.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      if (!line) continue;
      let entry: JournalEntry;
      try {
        entry = JSON.parse(line) as JournalEntry;
      } catch (error) {
        // A kill during an append leaves the last line cut short: that call's commit never finished.
        if (lines.slice(i + 1).every((rest) => rest === '')) break;
        throw new Error(`${this.dataFile}: journal line ${i + 1} is not JSON (${String(error)})`);
      }
      for (const [model, id, row] of entry.rows) {
        if (row) this.table(model).set(id, row);
        else this.table(model).delete(id);
      }
      for (const [model, next] of Object.entries(entry.nextIds)) {
        if (next === null) this.nextIds.delete(model);
        else this.nextIds.set(model, next);
      }
      for (const [key, value] of Object.entries(entry.counters)) {
        if (value === null) this.counters.delete(key);
        else this.counters.set(key, value);
      }
    }
  }

  wipeFile(): void {
    if (!this.dataFile) return;
    rmSync(this.dataFile, { force: true });
    this.removeJournals(() => true);
    this.files = undefined;
  }

  /** Writes what the committed call changed: a journal line, or a snapshot when one is due. */
  private record(): void {
    if (!this.dataFile) return this.forgetChanges();
    const files = this.files;
    if (
      !files ||
      this.snapshotDue ||
      files.journalBytes > Math.max(this.minJournalBytes, files.snapshotBytes)
    ) {
      this.persist();
      return;
    }
    const entry: JournalEntry = { rows: [], nextIds: {}, counters: {} };
    for (const key of this.changedRows) {
      const split = key.indexOf('\u0000');
      const model = key.slice(0, split);
      const id = Number(key.slice(split + 1));
      entry.rows.push([model, id, this.get(model, id) ?? null]);
    }
    for (const model of this.changedNextIds) entry.nextIds[model] = this.nextIds.get(model) ?? null;
    for (const key of this.changedCounters) entry.counters[key] = this.counters.get(key) ?? null;
    const line = `${JSON.stringify(entry)}\n`;
    try {
      appendFileSync(this.journalFile(files.generation), line, { mode: 0o600 });
    } catch (error) {
      // Half a line may be on disk: a snapshot of the next generation replaces the journal at the next commit.
      this.snapshotDue = true;
      throw error;
    }
    files.journalBytes += Buffer.byteLength(line);
    this.forgetChanges();
  }

  /** Atomic snapshot of everything (temp file + rename): a reader or a crash sees the old one or the new one. */
  persist(generation = (this.files?.generation ?? 0) + 1): void {
    if (!this.dataFile) return this.forgetChanges();
    const snapshot: Snapshot = {
      format: 'odoo-sandbox/1',
      generation,
      tables: Object.fromEntries([...this.tables].map(([model, table]) => [model, [...table.values()]])),
      nextIds: Object.fromEntries(this.nextIds),
      counters: Object.fromEntries(this.counters),
    };
    mkdirSync(dirname(this.dataFile), { recursive: true, mode: 0o700 });
    // A journal of this generation or later can only be a leftover (the data file deleted by hand, say): it
    // must not be replayed over the new snapshot.
    this.removeJournals((journal) => journal >= generation);
    const temp = `${this.dataFile}.${process.pid}.tmp`;
    const text = JSON.stringify(snapshot);
    // Partners are patients: the file holds PHI, readable by its owner only.
    writeFileSync(temp, text, { mode: 0o600 });
    renameSync(temp, this.dataFile);
    // The snapshot holds everything the older journals said.
    this.removeJournals((journal) => journal !== generation);
    this.files = { generation, snapshotBytes: Buffer.byteLength(text), journalBytes: 0 };
    this.snapshotDue = false;
    this.forgetChanges();
  }

  private forgetChanges(): void {
    this.changedRows.clear();
    this.changedNextIds.clear();
    this.changedCounters.clear();
  }

  private journalFile(generation: number): string {
    return `${this.dataFile}.${generation}.log`;
  }

  /** Removes the data file's journals whose generation `doomed` picks. */
  private removeJournals(doomed: (generation: number) => boolean): void {
    const file = this.dataFile as string;
    const dir = dirname(file);
    const base = basename(file);
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      if (!name.startsWith(`${base}.`) || !name.endsWith('.log')) continue;
      const generation = name.slice(base.length + 1, -'.log'.length);
      if (/^\d+$/.test(generation) && doomed(Number(generation))) rmSync(join(dir, name), { force: true });
    }
  }
}

const NO_IDS: ReadonlySet<number> = new Set();

const rowKey = (model: string, id: number) => `${model}\u0000${id}`;

function fileRow(index: LookupIndex, row: Row): void {
  const key = index.key(row);
  if (key === undefined) return;
  let ids = index.rows.get(key);
  if (!ids) {
    ids = new Set();
    index.rows.set(key, ids);
  }
  ids.add(row.id);
  // A row that beats the key's known greatest becomes it; an unknown greatest is found when asked.
  const top = index.rank && index.top.get(key);
  if (top && index.rank) {
    const rank = index.rank(row);
    if (rank > top.rank) index.top.set(key, { id: row.id, rank });
  }
}
