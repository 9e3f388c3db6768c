import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AUDIT_ACTIONS,
  type AuditFact,
  type AuditLine,
  auditStreams,
  canonicalJson,
  chainLine,
  GENESIS_HASH,
  lineHash,
  verifyChain,
} from '../../lambdas/core/audit.js';

/** Issue #15: the audit trail is append-only and tamper-evident — every change, deletion or insertion shows. */
const stream = auditStreams.exception('0b7c5a52-3d47-5c1e-9a51-7f1e2f0c9e11');

function chain(facts: readonly AuditFact[], name = stream): AuditLine[] {
  const lines: AuditLine[] = [];
  for (const fact of facts) lines.push(chainLine(name, lines.at(-1), fact));
  return lines;
}

const fact = fc.record(
  {
    at: fc
      .integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) })
      .map((ms) => new Date(ms).toISOString()),
    action: fc.constantFrom(...AUDIT_ACTIONS),
    actor: fc.string({ minLength: 1, maxLength: 30 }),
    note: fc.string({ maxLength: 60 }),
  },
  { requiredKeys: ['at', 'action', 'actor'] },
);
const facts = fc.array(fact, { minLength: 1, maxLength: 12 });
const versioned = (list: AuditFact[]) => list.map((f, i) => ({ ...f, entryVersion: i + 1 }));

describe('the audit chain', () => {
  it('links each line to the previous one by hash, from the genesis hash', () => {
    // Act
    const lines = chain([
      { at: '2026-11-02T15:04:08.000Z', action: 'opened', actor: 'clinic-a', entryVersion: 1 },
      { at: '2026-11-03T09:00:00.000Z', action: 'resolved', actor: 'fin-ops', note: 'x', entryVersion: 2 },
    ]);

    // Assess
    expect(lines.map((l) => l.seq)).toEqual([1, 2]);
    expect(lines[0]?.prevHash).toBe(GENESIS_HASH);
    expect(lines[1]?.prevHash).toBe(lines[0]?.hash);
    expect(lines[0]?.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(verifyChain(stream, lines, { entryVersion: 2 })).toEqual({
      stream,
      intact: true,
      lines: 2,
      head: lines[1]?.hash,
    });
  });

  it('hashes one canonical form: member order does not matter, every value does', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 'x'], c: null } })).toBe('{"a":{"c":null,"d":[1,"x"]},"b":1}');
    const [line] = chain([{ at: '2026-01-01T00:00:00.000Z', action: 'opened', actor: 'a' }]);
    if (!line) throw new Error('no line');
    const { hash, ...body } = line;
    const reordered = Object.fromEntries(Object.entries(body).reverse()) as typeof body;
    expect(lineHash(reordered)).toBe(hash);
    expect(lineHash({ ...body, actor: 'b' })).not.toBe(hash);
  });

  it('any untouched chain verifies, in whatever order its lines are read', () => {
    fc.assert(
      fc.property(facts, (list) => {
        const lines = chain(versioned(list));
        const verdict = verifyChain(stream, [...lines].reverse(), { entryVersion: list.length });
        expect(verdict.intact).toBe(true);
        expect(verdict.head).toBe(lines.at(-1)?.hash);
      }),
    );
  });

  it('changing any member of any stored line is found at that line', () => {
    const member = fc.constantFrom('at', 'action', 'actor', 'note', 'entryVersion');
    fc.assert(
      fc.property(facts, fc.nat(), member, (list, pick, name) => {
        const lines = chain(versioned(list));
        const index = pick % lines.length;
        const original = lines[index] as AuditLine;
        const tampered: AuditLine = {
          ...original,
          ...(name === 'at' ? { at: '1999-01-01T00:00:00.000Z' } : {}),
          ...(name === 'action' ? { action: original.action === 'resolved' ? 'retried' : 'resolved' } : {}),
          ...(name === 'actor' ? { actor: `${original.actor}!` } : {}),
          ...(name === 'note' ? { note: `${original.note ?? ''} (edited)` } : {}),
          ...(name === 'entryVersion' ? { entryVersion: (original.entryVersion ?? 0) + 7 } : {}),
        };
        const stored = lines.map((l, i) => (i === index ? tampered : l));
        expect(verifyChain(stream, stored, { entryVersion: list.length }).firstBroken).toEqual({
          seq: index + 1,
          problem: 'altered',
        });
      }),
    );
  });

  it('a changed line whose hash was recomputed breaks the link of the line after it', () => {
    fc.assert(
      fc.property(fc.array(fact, { minLength: 2, maxLength: 12 }), fc.nat(), (list, pick) => {
        const lines = chain(versioned(list));
        const index = pick % (lines.length - 1);
        const { hash: _old, ...body } = { ...(lines[index] as AuditLine), note: 'nothing happened' };
        const rehashed: AuditLine = { ...body, hash: lineHash(body) };
        const stored = lines.map((l, i) => (i === index ? rehashed : l));
        expect(verifyChain(stream, stored, { entryVersion: list.length }).firstBroken).toEqual({
          seq: index + 2,
          problem: 'unlinked',
        });
      }),
    );
  });

  it('deleting any line is found: a gap in the numbering, or a trail short of the entry’s version', () => {
    fc.assert(
      fc.property(facts, fc.nat(), (list, pick) => {
        const lines = chain(versioned(list));
        const index = pick % lines.length;
        const stored = lines.filter((_, i) => i !== index);
        const verdict = verifyChain(stream, stored, { entryVersion: list.length });
        expect(verdict.intact).toBe(false);
        expect(verdict.firstBroken).toMatchObject(
          index === lines.length - 1
            ? { seq: lines.length, problem: 'truncated', expectedVersion: list.length }
            : { seq: index + 1, problem: 'missing' },
        );
      }),
    );
  });

  it('a line copied in from another stream is not part of this chain', () => {
    const other = chain(
      [{ at: '2026-01-01T00:00:00.000Z', action: 'opened', actor: 'a' }],
      'exception#other',
    );
    const verdict = verifyChain(stream, other);
    expect(verdict.firstBroken).toEqual({ seq: 1, problem: 'foreign' });
  });

  it('an explicit line number leaves the gap of a line never written visible', () => {
    const first = chainLine(stream, undefined, { at: 't1', action: 'opened', actor: 'a', entryVersion: 1 });
    const third = chainLine(stream, first, { at: 't3', action: 'resolved', actor: 'b', entryVersion: 3 }, 3);
    expect(third.seq).toBe(3);
    expect(verifyChain(stream, [first, third], { entryVersion: 3 }).firstBroken).toEqual({
      seq: 2,
      problem: 'missing',
    });
  });
});
