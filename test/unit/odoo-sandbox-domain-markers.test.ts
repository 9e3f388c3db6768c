import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FieldValue, matchesDomain, parseDomain } from '../../local/odoo-sandbox/domain.js';

// An ERA round looks its payments up by an OR of one `ilike '[marker]'` leaf per claim (500 of them) over every
// payment; the sandbox answers such an OR from the value's bracketed runs instead of leaf by leaf (issue 16).
// That shortcut must answer exactly as the leaves would: each OR here is compared with its leaves evaluated one
// at a time (each a domain of one leaf, which takes the ordinary path).

const scalar =
  (value: unknown) =>
  (path: string): FieldValue => {
    if (path !== 'memo') throw new Error(`unexpected field ${path}`);
    return { kind: 'scalar', value };
  };

/** Text made of the characters that matter: brackets, case, wildcards, escapes and non-ASCII letters. */
const piece = fc.constantFrom(
  '[',
  ']',
  'a',
  'A',
  'b',
  'B',
  'rcm:pay:',
  '-',
  '1',
  '%',
  '_',
  '\\',
  'ſ',
  'K',
  ' ',
);
const text = fc.array(piece, { maxLength: 8 }).map((parts) => parts.join(''));
const escaped = (m: string) => m.replace(/[\\%_]/g, (ch) => `\\${ch}`);
const unescaped = (o: string) => o.replace(/\\(.)/g, '$1');
/** As the hub writes them: a bracketed marker, escaped (escape_psql). */
const hubOperand = fc
  .tuple(fc.nat(999), text)
  .map(([n, inner]) => escaped(`[rcm:pay:ERA-${n}${inner.replace(/\]/g, '')}]`));
/** What the shortcut must leave to the leaves: wildcards, a `]` inside, no brackets. */
const oddOperand = fc.oneof(
  text.map((inner) => `[${inner}]`),
  text.map((inner) => escaped(`[${inner}]`)),
  text,
);
/** ORs of 8 or more hub markers, which the shortcut takes, some with one odd operand among them. */
const operands = fc
  .tuple(fc.array(hubOperand, { minLength: 8, maxLength: 24 }), fc.option(oddOperand, { freq: 3 }), fc.nat())
  .map(([usual, odd, at]) => ({
    list:
      odd === null ? usual : [...usual.slice(0, at % usual.length), odd, ...usual.slice(at % usual.length)],
    odd,
  }));
const flipCase = (m: string, flips: boolean[]) =>
  [...m].map((ch, i) => (flips[i % flips.length] ? ch.toUpperCase() : ch)).join('');
const substitute = (m: string, flips: boolean[]) =>
  [...m].map((ch, i) => (flips[i % flips.length] ? 'x' : ch)).join('');
/**
 * A memo: odd values, text, or text around one of the operands' texts (the odd one most often), in another case
 * or with characters changed (where a `_` of a raw operand matches any).
 */
const memoFor = (texts: string[], odd: string | null) =>
  fc.oneof(
    { arbitrary: fc.constantFrom<unknown>(false, null, undefined, '', 5, true), weight: 1 },
    { arbitrary: text, weight: 2 },
    {
      arbitrary: fc
        .tuple(text, fc.constantFrom(...texts), fc.array(fc.boolean(), { minLength: 1 }), fc.boolean(), text)
        .map(
          ([before, m, flips, changed, after]) =>
            `${before}${changed ? substitute(m, flips) : flipCase(m, flips)}${after}`,
        ),
      weight: 6,
    },
  );

describe('an OR of ilike markers', () => {
  it('answers as its leaves evaluated one at a time', () => {
    let matched = 0;
    fc.assert(
      fc.property(
        operands.chain(({ list, odd }) => fc.tuple(fc.constant(list), memoFor(list.map(unescaped), odd))),
        ([list, stored]) => {
          const leaves = list.map((o) => ['memo', 'ilike', o]);
          const or = parseDomain([...Array(leaves.length - 1).fill('|'), ...leaves]);
          const oneByOne = leaves.some((leaf) => matchesDomain(parseDomain([leaf]), scalar(stored)));
          if (oneByOne) matched += 1;
          expect(matchesDomain(or, scalar(stored))).toBe(oneByOne);
        },
      ),
      { numRuns: 3000 },
    );
    // Both answers are exercised, not only "no match".
    expect(matched).toBeGreaterThan(1000);
    expect(matched).toBeLessThan(2800);
  });

  it('finds the marker among many, wherever it sits in the memo and in whatever case', () => {
    const markers = Array.from({ length: 500 }, (_, i) => `[rcm:pay:ERA-${i}]`);
    const or = parseDomain([
      ...Array(markers.length - 1).fill('|'),
      ...markers.map((m) => ['memo', 'ilike', m]),
    ]);

    expect(matchesDomain(or, scalar('ACH 0042 [RCM:PAY:ERA-499] [other]'))).toBe(true);
    expect(matchesDomain(or, scalar('[x [rcm:pay:ERA-7]'))).toBe(true);
    expect(matchesDomain(or, scalar('[rcm:pay:ERA-5000]'))).toBe(false);
    expect(matchesDomain(or, scalar('rcm:pay:ERA-1'))).toBe(false);
    expect(matchesDomain(or, scalar(false))).toBe(false);
  });

  it('leaves to the leaves an operand whose text is not a plain bracketed marker', () => {
    const markers = Array.from({ length: 500 }, (_, i) => ['memo', 'ilike', `[rcm:pay:ERA-${i}]`]);
    const withOne = (leaf: unknown[]) => parseDomain([...Array(markers.length).fill('|'), ...markers, leaf]);

    // `_` is any one character, `%` any run; an escaped one is itself.
    expect(matchesDomain(withOne(['memo', 'ilike', '[a_b]']), scalar('[axb]'))).toBe(true);
    expect(matchesDomain(withOne(['memo', 'ilike', '[a\\_b]']), scalar('[axb]'))).toBe(false);
    expect(matchesDomain(withOne(['memo', 'ilike', '[a%b]']), scalar('[a]b]'))).toBe(true);
    // A `]` inside: the value's bracketed run ends before the literal does.
    expect(matchesDomain(withOne(['memo', 'ilike', '[a]b]']), scalar('x[a]b]'))).toBe(true);
    // Not bracketed, or another operator.
    expect(matchesDomain(withOne(['memo', 'ilike', 'ERA-7]']), scalar('[rcm:pay:ERA-7] paid'))).toBe(true);
    expect(matchesDomain(withOne(['memo', '=ilike', '[A]']), scalar('[a]'))).toBe(true);
    expect(matchesDomain(withOne(['memo', '=ilike', '[A]']), scalar('x[a]'))).toBe(false);
  });
});
