/**
 * Cold init of every Lambda in two checkouts, against the same floor: `npx tsx test/bench/bundles-compare.ts <other
 * checkout> [handler …]` (e.g. a `git archive` of main unpacked beside this one, node_modules linked in). The two
 * bundles and the floor are imported in turn in one loop (bundles.ts `coldInitTimes`), so the machine's load falls
 * on all three alike: the before/after figures of a change, on a machine that is not quiet (docs/benchmarks.md).
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { handlers } from '../../lambdas/wiring.js';
import { deployedSourceMap } from '../../lib/bundling.js';
import { bundle, coldInitTimes, floorSource, platformImports } from './bundles.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const [other, ...only] = process.argv.slice(2);
if (!other) throw new Error('usage: bundles-compare.ts <other checkout> [handler …]');
const here = resolve(import.meta.dirname, '../..');
const runs = Number(process.env.BENCH_INIT_RUNS ?? 9);
const outdir = mkdtempSync(join(tmpdir(), 'rcm-bench-compare-'));
for (const dir of ['other', 'here', 'floor']) mkdirSync(join(outdir, dir));
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

console.log(`Cold init, ${other} → this checkout, fastest of ${runs} in turn with the floor; load ${load()}`);
console.log('');
console.log(
  '| Lambda | KiB before → after | init before / after / floor | ÷ floor | CPU before / after / floor | CPU ÷ floor |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const [name, spec] of Object.entries(handlers)) {
  if (only.length > 0 && !only.includes(name)) continue;
  const files = ['other', 'here', 'floor'].map((dir) => join(outdir, dir, `${name}.mjs`));
  const [otherFile, hereFile, floorFile] = files as [string, string, string];
  const before = await bundle(join(resolve(other), spec.entry), otherFile, deployedSourceMap, resolve(other));
  const after = await bundle(join(here, spec.entry), hereFile, deployedSourceMap);
  await bundle({ source: floorSource(platformImports(after.metafile)) }, floorFile, deployedSourceMap);
  const { wallMs, cpuMs } = coldInitTimes(
    files.map((file): [string, typeof deployedSourceMap] => [file, deployedSourceMap]),
    runs,
  );
  const [wb = 0, wa = 0, wf = 1] = wallMs;
  const [cb = 0, ca = 0, cf = 1] = cpuMs;
  console.log(
    `| ${name} | ${(before.bytes / 1024).toFixed(0)} → ${(after.bytes / 1024).toFixed(0)} | ${wb.toFixed(0)} / ${wa.toFixed(0)} / ${wf.toFixed(0)} ms | ${(wb / wf).toFixed(2)} → ${(wa / wf).toFixed(2)} | ${cb.toFixed(0)} / ${ca.toFixed(0)} / ${cf.toFixed(0)} ms | ${(cb / cf).toFixed(2)} → ${(ca / cf).toFixed(2)} |`,
  );
}
console.log('');
console.log(`load ${load()}`);
