/**
 * All generated contracts, as pure functions returning `{ path, content }[]`; scripts/generate-contracts.ts
 * writes or checks them, test/unit/contracts.test.ts compares them in-process.
 */
import { generateApiMarkdown } from './api-md.js';
import { generateEventCatalog } from './events.js';
import { type GeneratedFile, readRepoFile } from './files.js';
import { generateOpenApi } from './openapi.js';
import type { Samples } from './operations.js';
import { loadSamples } from './samples.js';

export { generateApiMarkdown } from './api-md.js';
export { generateEventCatalog } from './events.js';
export type { GeneratedFile } from './files.js';
export { generateOpenApi } from './openapi.js';
export { loadSamples } from './samples.js';

export function generateContracts(samples: Samples = loadSamples()): GeneratedFile[] {
  return [
    ...generateOpenApi(samples),
    ...generateEventCatalog(samples.events),
    ...generateApiMarkdown(samples),
  ];
}

/** Generated directories owned entirely by the generator: a file there that is not generated is stale. */
export const GENERATED_DIRS = ['events/catalog'] as const;

export interface Drift {
  path: string;
  status: 'missing' | 'changed' | 'stale';
  /** First differing line (1-based), for changed files. */
  line?: number;
  expected?: string;
  actual?: string;
}

/** Compares generated files with the checked-in ones (`listDir` lists a generated directory's files). */
export function findDrift(files: GeneratedFile[], listDir: (dir: string) => string[]): Drift[] {
  const drift: Drift[] = [];
  for (const file of files) {
    const current = readRepoFile(file.path);
    if (current === undefined) {
      drift.push({ path: file.path, status: 'missing' });
    } else if (current !== file.content) {
      const want = file.content.split('\n');
      const have = current.split('\n');
      const index = want.findIndex((line, i) => line !== have[i]);
      const at = index === -1 ? want.length : index;
      drift.push({ path: file.path, status: 'changed', line: at + 1, expected: want[at], actual: have[at] });
    }
  }
  const generated = new Set(files.map((f) => f.path));
  for (const dir of GENERATED_DIRS) {
    for (const path of listDir(dir)) if (!generated.has(path)) drift.push({ path, status: 'stale' });
  }
  return drift;
}

export function describeDrift(drift: Drift[]): string {
  const lines = drift.map((d) =>
    d.status === 'changed'
      ? `  changed  ${d.path}:${d.line}\n           checked in: ${JSON.stringify(d.actual)}\n           generated:  ${JSON.stringify(d.expected)}`
      : `  ${d.status.padEnd(8)} ${d.path}`,
  );
  return [`${drift.length} generated file(s) out of date — run npm run gen:`, ...lines].join('\n');
}
