import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  InvalidOdooConnection,
  parseOdooConnection,
} from '../../lambdas/adapters/secrets/odoo-connection.js';

/** The zod schema the secret was read with before issue 16: the hand-written reader must agree with it. */
const FormerSchema = z.object({
  url: z.string().url(),
  db: z.string().min(1),
  login: z.string().min(1),
  apiKey: z.string().min(1),
  protocol: z.enum(['jsonrpc', 'json2']).default('jsonrpc'),
});

const agrees = (value: unknown) => {
  const former = FormerSchema.safeParse(value);
  if (former.success) expect(parseOdooConnection(value)).toEqual(former.data);
  else expect(() => parseOdooConnection(value)).toThrow(InvalidOdooConnection);
};

describe('the Odoo connection secret', () => {
  const valid = { url: 'http://odoo:8069', db: 'rcm', login: 'hub', apiKey: 'k' };

  it('reads a connection, defaulting the protocol and dropping unknown members', () => {
    expect(parseOdooConnection({ ...valid, extra: 1 })).toEqual({ ...valid, protocol: 'jsonrpc' });
    expect(parseOdooConnection({ ...valid, url: ' https://odoo.example/\t', protocol: 'json2' })).toEqual({
      ...valid,
      url: 'https://odoo.example/',
      protocol: 'json2',
    });
  });

  it('names every field that is wrong', () => {
    expect(() => parseOdooConnection({ url: 'not a url', db: '', login: 3, protocol: 'xmlrpc' })).toThrow(
      "url: not a valid URL; db: expected a non-empty string; login: expected a non-empty string; apiKey: expected a non-empty string; protocol: expected 'jsonrpc' or 'json2'",
    );
    expect(() => parseOdooConnection(null)).toThrow(InvalidOdooConnection);
    expect(() => parseOdooConnection(['x'])).toThrow(InvalidOdooConnection);
  });

  it('accepts and refuses exactly what the former zod schema did', () => {
    for (const value of [
      valid,
      { ...valid, protocol: null },
      { ...valid, protocol: undefined },
      { ...valid, url: 'http:odoo' },
      { ...valid, url: 'mailto:x@y' },
      { ...valid, url: '  ' },
      { ...valid, url: 'http://a b' },
      { ...valid, url: 'http://exa\nmple.com' },
      { ...valid, apiKey: '' },
      {},
      'text',
      42,
    ])
      agrees(value);
    fc.assert(
      fc.property(
        fc.record(
          {
            url: fc.oneof(fc.webUrl(), fc.string(), fc.constant(1)),
            db: fc.oneof(fc.string(), fc.constant(null)),
            login: fc.string(),
            apiKey: fc.string({ maxLength: 3 }),
            protocol: fc.constantFrom('jsonrpc', 'json2', 'xmlrpc', undefined, null),
          },
          { requiredKeys: [] },
        ),
        (value) => agrees(value),
      ),
      { numRuns: 500 },
    );
  });
});
