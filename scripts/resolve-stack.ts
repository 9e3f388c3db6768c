/**
 * `npm run stack -- <bundle.mjs.map> [trace.txt]`: turns a stack trace logged by a deployed Lambda (minified,
 * `index.mjs:1:23456`) into source positions (`lambdas/handlers/odoo-writer.ts:88:11`). The bundles ship their
 * map unlinked (lib/bundling.ts: linking it cost 7-64 % of cold init), so the resolving happens here, on the map
 * from the same build (cdk.out/asset.<hash>/index.mjs.map). Reads the trace from the file or stdin.
 */
import { readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { resolveStack } from './stack-frames.js';

const [mapFile, traceFile] = process.argv.slice(2);
if (!mapFile) {
  console.error(
    'usage: npm run stack -- <index.mjs.map> [trace.txt]   (the trace on stdin when no file is given)',
  );
  process.exit(2);
}
const map = new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as SourceMapPayload);
const trace = readFileSync(traceFile ?? 0, 'utf8');
process.stdout.write(resolveStack(trace, map));
