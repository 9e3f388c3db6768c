import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type BusEvent, LocalEventBus } from '../../../local/aws/event-bus.js';

// Issue 12: an event PutEvents accepted survives the death of the process that accepted it.

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function bus(journalDir: string): LocalEventBus {
  return new LocalEventBus({ accountId: '1', region: 'us-east-1', journalDir, logger: () => undefined });
}

const entry = (n: number) => ({
  Source: 'rcm.intake',
  DetailType: 'InvoiceIssued',
  Detail: JSON.stringify({ n }),
});

describe('the durable local bus', () => {
  it('re-delivers, after a kill, every accepted event whose targets had not finished', async () => {
    // Prepare: a first process whose target never finishes (it is killed mid-delivery)
    const dir = mkdtempSync(join(tmpdir(), 'bus-journal-'));
    dirs.push(dir);
    const first = bus(dir);
    first.addRule({
      name: 'writer',
      pattern: { source: ['rcm.intake'] },
      target: () => new Promise(() => {}),
    });
    const accepted = first.putEvents([entry(1), entry(2), entry(3)]);
    expect(accepted.FailedEntryCount).toBe(0);
    first.close(); // kill: nothing flushed, nothing delivered

    // Act: the next process adds its rules and recovers
    const second = bus(dir);
    const got: BusEvent[] = [];
    second.addRule({
      name: 'writer',
      pattern: { source: ['rcm.intake'] },
      target: async (e) => void got.push(e),
    });
    expect(second.recover()).toBe(3);
    await second.waitForIdle();
    await second.flushJournal();

    // Assess: the same events (same ids), and the journal is empty once they are delivered
    expect(got.map((e) => e.id).sort()).toEqual(
      accepted.Entries.map((e) => ('EventId' in e ? e.EventId : '')).sort(),
    );
    expect(readdirSync(dir)).toEqual([]);
    second.close();
  });

  it('forgets an event only after every matched target finished and the settle step made it durable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bus-journal-'));
    dirs.push(dir);
    const b = bus(dir);
    let release: () => void = () => {};
    const slow = new Promise<void>((r) => {
      release = r;
    });
    const settled: number[] = [];
    b.settleWith(async () => void settled.push(readdirSync(dir).length));
    b.addRule({ name: 'fast', pattern: { source: ['rcm.intake'] }, target: async () => undefined });
    b.addRule({ name: 'slow', pattern: { source: ['rcm.intake'] }, target: () => slow });
    b.addRule({ name: 'unmatched', pattern: { source: ['rcm.other'] }, target: async () => undefined });
    b.putEvents([entry(1)]);
    expect(readdirSync(dir)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 30));
    await b.flushJournal();
    expect(readdirSync(dir)).toHaveLength(1); // the slow target has not finished
    release();
    await b.waitForIdle();
    await b.flushJournal();
    expect(settled).toEqual([1]); // settle ran while the entry was still on disk
    expect(readdirSync(dir)).toEqual([]);
    // An event no rule matches is not journaled at all.
    b.putEvents([{ ...entry(2), Source: 'rcm.nobody' }]);
    expect(readdirSync(dir)).toEqual([]);
    b.close();
  });
});
