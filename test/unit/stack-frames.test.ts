import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { esbuildOptions } from '../../lib/bundling.js';
import { resolveStack } from '../../scripts/stack-frames.js';

const root = path.resolve(import.meta.dirname, '../..');

// Five lines so the throw sits at a known original position: line 4, column 11.
const SOURCE = [
  'export function postInvoice(ref: string): never {',
  '  const reason = `no journal for ${ref}`;',
  '  // the next line throws',
  '  throw new Error(reason);',
  '}',
].join('\n');

describe('npm run stack (scripts/stack-frames.ts)', () => {
  it('maps a trace from a deployed-style bundle (minified, unlinked map) back to the source line', async () => {
    // Prepare: bundled exactly as the Lambdas are, then thrown from.
    const dir = mkdtempSync(path.join(tmpdir(), 'rcm-stack-'));
    const outfile = path.join(dir, 'index.mjs');
    await build({
      ...esbuildOptions(root),
      stdin: { contents: SOURCE, loader: 'ts', resolveDir: root, sourcefile: 'lambdas/handlers/sample.ts' },
      outfile,
    });
    const bundle = await import(pathToFileURL(outfile).href);
    let trace = '';
    try {
      bundle.postInvoice('INV-1');
    } catch (error) {
      trace = (error as Error).stack ?? '';
    }
    const map = new SourceMap(JSON.parse(readFileSync(`${outfile}.map`, 'utf8')));
    rmSync(dir, { recursive: true, force: true });

    // Act
    const resolved = resolveStack(trace, map);

    // Assess: the raw trace names the function (keepNames) at a bundle position; resolved, the source line.
    expect(trace).toMatch(/postInvoice .*index\.mjs:\d+:\d+/);
    expect(resolved).toContain('lambdas/handlers/sample.ts:4:');
    expect(resolved).not.toMatch(/index\.mjs:\d+:\d+/);
  });

  it('leaves lines without bundle positions untouched', () => {
    const map = new SourceMap({ version: 3, file: 'x.mjs', sources: [], names: [], mappings: '' } as never);
    expect(resolveStack('Error: boom\n    at <anonymous>', map)).toBe('Error: boom\n    at <anonymous>');
  });
});
