/**
 * `npm run gen`: writes docs/openapi.json, docs/api.md and events/catalog/* from lambdas/wiring.ts, the zod
 * schemas and events/samples. `npm run gen -- --check` writes nothing and exits 1 when a checked-in file
 * differs from what would be generated (the CI drift check).
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './contracts/files.js';
import { describeDrift, findDrift, generateContracts } from './contracts/index.js';

export {
  type Drift,
  describeDrift,
  findDrift,
  type GeneratedFile,
  generateApiMarkdown,
  generateContracts,
  generateEventCatalog,
  generateOpenApi,
  loadSamples,
} from './contracts/index.js';

export function listGeneratedDir(dir: string): string[] {
  try {
    return readdirSync(join(REPO_ROOT, dir))
      .sort()
      .map((name) => `${dir}/${name}`);
  } catch {
    return [];
  }
}

function main(argv: string[]): number {
  const files = generateContracts();
  const drift = findDrift(files, listGeneratedDir);
  if (argv.includes('--check')) {
    if (drift.length === 0) {
      console.log(`contracts up to date (${files.length} files)`);
      return 0;
    }
    console.error(describeDrift(drift));
    return 1;
  }
  for (const d of drift.filter((x) => x.status === 'stale')) rmSync(join(REPO_ROOT, d.path));
  for (const file of files) {
    const target = join(REPO_ROOT, file.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.content);
  }
  console.log(
    drift.length === 0
      ? `contracts up to date (${files.length} files)`
      : `wrote ${files.length} files; ${drift.length} changed: ${drift.map((d) => d.path).join(', ')}`,
  );
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
