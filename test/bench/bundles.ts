/**
 * Lambda bundles as deployed, next to their floors (issue 16).
 *
 * Each handler is built with lib/bundling.ts (the options RcmFunction hands NodejsFunction). Its floor is a bundle
 * built with the very same options from a generated entry that imports only the AWS SDK and Powertools bindings the
 * handler's own source files import (read from the esbuild metafile, so the list follows the code) and constructs
 * its SDK clients at module scope as handlers do: the least a handler with those dependencies can weigh. The ratios
 * say what our code, zod and the wiring add on top.
 *
 * Cold init is measured as deployed: a fresh `node` per sample, with the NODE_OPTIONS the functions get
 * (`--enable-source-maps` while source maps ship) and the map file beside the bundle, importing the module and
 * stopping the clock when the import settles; fastest of `runs`, taken in turn with the floor. Module init only; Lambda adds its own runtime
 * start, the same for every bundle.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { env, eventRoutes, handlers, resourceEnv } from '../../lambdas/wiring.js';
import { deployedSourceMap, esbuildOptions, type SourceMapSetting } from '../../lib/bundling.js';

const root = resolve(import.meta.dirname, '../..');

export interface BundleFigures {
  name: string;
  bytes: number;
  gzip: number;
  initMs: number;
  floorBytes: number;
  floorInitMs: number;
  /** CPU time of the same imports (fastest sample), less disturbed by other load on the machine. */
  initCpuMs: number;
  floorInitCpuMs: number;
  /** The AWS SDK and Powertools bindings the floor holds, `package: names`. */
  floorImports: string[];
  /** What the bundle holds beyond its floor, bytes by module group (see `differenceByModule`), largest first. */
  beyondFloor: ModuleBytes[];
}

/** Bytes each input puts into the bundle's one output (esbuild's `bytesInOutput`). */
function bytesByInput(metafile: Metafile): Map<string, number> {
  const output = Object.entries(metafile.outputs).find(([file]) => !file.endsWith('.map'))?.[1];
  const bytes = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {}))
    bytes.set(input, (bytes.get(input) ?? 0) + bytesInOutput);
  return bytes;
}

/** Bytes of one package, or of one file of ours (`ours`: its path in the repository). */
export interface ModuleBytes {
  group: string;
  ours: boolean;
  bytes: number;
}

/** A node_modules input under its package name; one of our files under its path in the repository. */
function moduleGroup(input: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  return match?.[1] ?? input;
}

/**
 * What makes up bundle − floor: bytes by package (zod, or SDK and Powertools code the floor does not reach) and
 * by file of ours, each the bundle's bytes less the floor's for the same group (negative: more in the floor,
 * e.g. a client the floor constructs and the handler only imports).
 */
export function differenceByModule(bundle: Metafile, floor: Metafile): ModuleBytes[] {
  const sum = (metafile: Metafile) => {
    const groups = new Map<string, ModuleBytes>();
    for (const [input, bytes] of bytesByInput(metafile)) {
      const group = moduleGroup(input);
      const entry = groups.get(group) ?? { group, ours: !input.includes('node_modules/'), bytes: 0 };
      entry.bytes += bytes;
      groups.set(group, entry);
    }
    return groups;
  };
  const inFloor = sum(floor);
  return [...sum(bundle).values()]
    .map((entry) => ({ ...entry, bytes: entry.bytes - (inFloor.get(entry.group)?.bytes ?? 0) }))
    .filter(({ bytes }) => bytes !== 0)
    .sort((a, b) => b.bytes - a.bytes);
}

const PLATFORM_PACKAGE = /^@aws-sdk\/|^@aws-lambda-powertools\//;
// `import { A, type B, C as D } from 'pkg'`, possibly over several lines; `import type {…}` is skipped below.
const NAMED_IMPORT = /import\s+(type\s+)?\{([^}]*)\}\s*from\s*'([^']+)'/g;

/** The value bindings each platform package gives the handler's own (non-node_modules) source files. */
export function platformImports(metafile: Metafile): Map<string, Set<string>> {
  const byPackage = new Map<string, Set<string>>();
  // A package our files import but whose code esbuild drops (e.g. Powertools Metrics behind a logger-only
  // observability module) is not a dependency of the handler: the floor leaves it out too.
  const bundled = new Set(
    [...bytesByInput(metafile)].filter(([, bytes]) => bytes > 0).map(([input]) => moduleGroup(input)),
  );
  const packageOf = (specifier: string) =>
    specifier
      .split('/')
      .slice(0, specifier.startsWith('@') ? 2 : 1)
      .join('/');
  for (const input of Object.keys(metafile.inputs)) {
    if (input.includes('node_modules') || !/\.ts$/.test(input)) continue;
    const source = readFileSync(resolve(root, input), 'utf8');
    for (const match of source.matchAll(NAMED_IMPORT)) {
      const [, typeOnly, names, specifier] = match;
      if (typeOnly || !specifier || !PLATFORM_PACKAGE.test(specifier)) continue;
      if (!bundled.has(packageOf(specifier))) continue;
      for (const raw of (names ?? '').split(',')) {
        const name = raw.trim();
        if (!name || name.startsWith('type ')) continue;
        const imported = name.split(/\s+as\s+/)[0]?.trim();
        if (!imported) continue;
        const set = byPackage.get(specifier) ?? new Set<string>();
        set.add(imported);
        byPackage.set(specifier, set);
      }
    }
  }
  return byPackage;
}

/** The floor's entry: the same platform bindings, clients constructed at module scope, nothing of ours. */
export function floorSource(imports: Map<string, Set<string>>): string {
  const lines: string[] = [];
  const keep: string[] = [];
  let index = 0;
  for (const [specifier, names] of [...imports].sort(([a], [b]) => a.localeCompare(b))) {
    const aliases = [...names].sort().map((name) => ({ name, local: `p${index++}_${name}` }));
    lines.push(`import { ${aliases.map((a) => `${a.name} as ${a.local}`).join(', ')} } from '${specifier}';`);
    for (const { name, local } of aliases) {
      keep.push(/^@aws-sdk\/client-/.test(specifier) && /Client$/.test(name) ? `new ${local}({})` : local);
    }
  }
  lines.push(`export const floor = [${keep.join(', ')}];`);
  lines.push('export const handler = async () => floor.length;');
  return `${lines.join('\n')}\n`;
}

/**
 * `entry` is a file, or `{ source }`: a generated entry resolved from the repository (its node_modules). `from`:
 * the checkout whose files the bundler's aliases resolve in (another one for bundles-compare.ts).
 */
export async function bundle(
  entry: string | { source: string },
  outfile: string,
  sourceMap: SourceMapSetting,
  from = root,
) {
  const input =
    typeof entry === 'string'
      ? { entryPoints: [entry] }
      : {
          stdin: { contents: entry.source, resolveDir: root, loader: 'js' as const, sourcefile: 'floor.mjs' },
        };
  const result = await build({ ...esbuildOptions(from, sourceMap), ...input, outfile, metafile: true });
  return {
    bytes: statSync(outfile).size,
    gzip: gzipSync(readFileSync(outfile)).length,
    metafile: result.metafile,
  };
}

function initEnv(sourceMap: SourceMapSetting): Record<string, string> {
  const variables: Record<string, string> = { ...process.env } as Record<string, string>;
  for (const variable of Object.values(resourceEnv)) variables[variable] = 'bench';
  variables[env.odooWriteQueue] = 'http://127.0.0.1:9/000000000000/OdooWriteQueue.fifo';
  variables[env.odooWriteDlq] = 'http://127.0.0.1:9/000000000000/OdooWriteQueue-dlq.fifo';
  // The breaker probe's own names (set by lib/odoo-breaker.ts in AWS, not resources of wiring.ts).
  variables[env.odooBreakerBacklogQueue] = 'http://127.0.0.1:9/000000000000/OdooWriteQueue.fifo';
  variables[env.odooWriterEventSourceMapping] = '00000000-0000-0000-0000-000000000000';
  variables[env.odooWriteMaxReceiveCount] = '5';
  // A rule ARN of the shape lib/ passes (the subscriptions and fan-out handlers parse it at init).
  variables[env.webhookSubscriptionsRule] =
    `arn:aws:events:us-east-1:000000000000:rule/rcm-hub-bench/${eventRoutes.find((r) => r.narrowedToSubscribedTypes)?.name ?? 'WebhookSubscriptions'}`;
  variables.AWS_REGION = 'us-east-1';
  variables.AWS_ACCESS_KEY_ID = 'bench';
  variables.AWS_SECRET_ACCESS_KEY = 'bench';
  // Only a linked map is read, and only with this flag (what lib/functions.ts sets when maps are linked).
  variables.NODE_OPTIONS = sourceMap === 'linked' ? '--enable-source-maps' : '';
  return variables;
}

/** One cold import: wall time, and the CPU time (user + system) the process spent on it. */
function initOnce(file: string, sourceMap: SourceMapSetting): { wallMs: number; cpuMs: number } {
  const script = `const c=process.cpuUsage();const t=performance.now();await import(${JSON.stringify(file)});const w=performance.now()-t;const u=process.cpuUsage(c);process.stdout.write(JSON.stringify([w,(u.user+u.system)/1000]));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: initEnv(sourceMap),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const [wallMs = Number.NaN, cpuMs = Number.NaN] = JSON.parse(out) as number[];
  return { wallMs, cpuMs };
}

/**
 * Module-init time of each `[file, sourceMap]`, as deployed: samples taken in turn (a, b, a, b …) so that load from
 * elsewhere on the machine falls on both alike, and the fastest of `runs` kept — the figure least disturbed by
 * that load (a shared two-core machine here), which is what a comparison of two bundles needs. `cpuMs`: the least
 * CPU time an import took, which moves far less with the machine's load than the wall clock does.
 */
export function coldInitTimes(
  files: Array<[string, SourceMapSetting]>,
  runs = 7,
): { wallMs: number[]; cpuMs: number[] } {
  const wallMs = files.map(() => Number.POSITIVE_INFINITY);
  const cpuMs = files.map(() => Number.POSITIVE_INFINITY);
  for (let i = 0; i < runs; i++) {
    files.forEach(([file, sourceMap], index) => {
      const sample = initOnce(file, sourceMap);
      wallMs[index] = Math.min(wallMs[index] ?? Number.POSITIVE_INFINITY, sample.wallMs);
      cpuMs[index] = Math.min(cpuMs[index] ?? Number.POSITIVE_INFINITY, sample.cpuMs);
    });
  }
  return { wallMs, cpuMs };
}

/** Wall-clock module init of each file (`coldInitTimes`). */
export function coldInit(files: Array<[string, SourceMapSetting]>, runs = 7): number[] {
  return coldInitTimes(files, runs).wallMs;
}

export async function benchBundles(runs = 7): Promise<BundleFigures[]> {
  const outdir = mkdtempSync(join(tmpdir(), 'rcm-bench-bundle-'));
  mkdirSync(join(outdir, 'floor'));
  const figures: BundleFigures[] = [];
  for (const [name, spec] of Object.entries(handlers)) {
    const outfile = join(outdir, `${name}.mjs`);
    const built = await bundle(join(root, spec.entry), outfile, deployedSourceMap);
    const imports = platformImports(built.metafile);
    const floorOut = join(outdir, 'floor', `${name}.mjs`);
    const floor = await bundle({ source: floorSource(imports) }, floorOut, deployedSourceMap);
    const init = coldInitTimes(
      [
        [outfile, deployedSourceMap],
        [floorOut, deployedSourceMap],
      ],
      runs,
    );
    figures.push({
      name,
      bytes: built.bytes,
      gzip: built.gzip,
      initMs: init.wallMs[0] ?? Number.NaN,
      initCpuMs: init.cpuMs[0] ?? Number.NaN,
      floorBytes: floor.bytes,
      floorInitMs: init.wallMs[1] ?? Number.NaN,
      floorInitCpuMs: init.cpuMs[1] ?? Number.NaN,
      floorImports: [...imports].map(([pkg, names]) => `${pkg}: ${[...names].join(', ')}`),
      beyondFloor: differenceByModule(built.metafile, floor.metafile),
    });
  }
  return figures;
}

/** What shipping source maps costs at init: the same bundle with map + `--enable-source-maps`, and without. */
export async function benchSourceMaps(names: string[], runs = 7) {
  const outdir = mkdtempSync(join(tmpdir(), 'rcm-bench-maps-'));
  const rows: Array<{ name: string; withMapsMs: number; withoutMapsMs: number; mapBytes: number }> = [];
  for (const name of names) {
    const spec = handlers[name as keyof typeof handlers];
    const withMaps = join(outdir, `${name}.maps.mjs`);
    const withoutMaps = join(outdir, `${name}.nomaps.mjs`);
    await bundle(join(root, spec.entry), withMaps, 'linked');
    await bundle(join(root, spec.entry), withoutMaps, false);
    const [withMapsMs = Number.NaN, withoutMapsMs = Number.NaN] = coldInit(
      [
        [withMaps, 'linked'],
        [withoutMaps, false],
      ],
      runs,
    );
    rows.push({
      name,
      withMapsMs,
      withoutMapsMs,
      mapBytes: statSync(`${withMaps}.map`).size,
    });
  }
  return rows;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

export function bundleBenchLines(figures: BundleFigures[], runs = 7): string[] {
  const lines = [
    `Lambda bundles as deployed (minified ESM, source map ${deployedSourceMap || 'none'}, the bundler's credential alias), against their floors (only the AWS SDK and Powertools bindings each handler imports); cold init = fastest of ${runs} module imports in a fresh node, taken in turn with the floor, with the deployed NODE_OPTIONS:`,
    '',
    '| Lambda | bundle | gzip | floor | size ÷ floor | cold init | floor init | init ÷ floor | init CPU / floor CPU | CPU ÷ floor |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const f of figures) {
    lines.push(
      `| ${f.name} | ${kib(f.bytes)} | ${kib(f.gzip)} | ${kib(f.floorBytes)} | ${(f.bytes / f.floorBytes).toFixed(2)} | ${f.initMs.toFixed(0)} ms | ${f.floorInitMs.toFixed(0)} ms | ${(f.initMs / f.floorInitMs).toFixed(2)} | ${f.initCpuMs.toFixed(0)} / ${f.floorInitCpuMs.toFixed(0)} ms | ${(f.initCpuMs / f.floorInitCpuMs).toFixed(2)} |`,
    );
  }
  const sizeRatios = figures.map((f) => f.bytes / f.floorBytes);
  const initRatios = figures.map((f) => f.initMs / f.floorInitMs);
  const cpuRatios = figures.map((f) => f.initCpuMs / f.floorInitCpuMs);
  lines.push(
    '',
    `Size ÷ floor ${Math.min(...sizeRatios).toFixed(2)}–${Math.max(...sizeRatios).toFixed(2)}; init ÷ floor ${Math.min(...initRatios).toFixed(2)}–${Math.max(...initRatios).toFixed(2)}, in CPU time ${Math.min(...cpuRatios).toFixed(2)}–${Math.max(...cpuRatios).toFixed(2)} (goal ≤ 1.10).`,
  );
  return lines;
}

/**
 * For each bundle above `goal` × its floor, what makes up the difference: KiB by package and by file of ours
 * (`differenceByModule`), the groups of at least 1 KiB, the rest summed.
 */
export function bundleCompositionLines(figures: BundleFigures[], goal = 1.1): string[] {
  const lines = [
    `What each bundle above ${goal.toFixed(1)}× its floor holds beyond it (esbuild metafile, bytes in the bundle less the floor's, by package and by file of ours):`,
    '',
    '| Lambda | bundle − floor | zod | our code | other packages | only in the floor | the largest of ours, of the other packages and of the floor only |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const f of figures) {
    if (f.bytes <= goal * f.floorBytes) continue;
    const total = (entries: ModuleBytes[]) => entries.reduce((sum, { bytes }) => sum + bytes, 0);
    const zod = f.beyondFloor.filter(({ group }) => group === 'zod');
    const ours = f.beyondFloor.filter(({ ours }) => ours);
    const packages = f.beyondFloor.filter(({ group, ours, bytes }) => !ours && group !== 'zod' && bytes > 0);
    const floorOnly = f.beyondFloor.filter(({ bytes }) => bytes < 0);
    const largest = [
      ...ours.slice(0, 4).map(({ group, bytes }) => `${group.replace(/^lambdas\//, '')} ${kib1(bytes)}`),
      ...packages.filter(({ bytes }) => bytes >= 1024).map(({ group, bytes }) => `${group} ${kib1(bytes)}`),
      ...floorOnly.filter(({ bytes }) => bytes <= -1024).map(({ group, bytes }) => `${group} ${kib1(bytes)}`),
    ];
    lines.push(
      `| ${f.name} | ${kib(f.bytes - f.floorBytes)} | ${kib(total(zod))} | ${kib(total(ours))} | ${kib(total(packages))} | ${kib(total(floorOnly))} | ${largest.join(', ')} |`,
    );
  }
  return lines;
}

const kib1 = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

export function sourceMapBenchLines(rows: Awaited<ReturnType<typeof benchSourceMaps>>): string[] {
  const lines = [
    'Source maps at init (linked map + `--enable-source-maps`, against the same bundle with neither):',
    '',
    '| Lambda | map | init with maps | init without | cost |',
    '| --- | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.name} | ${kib(r.mapBytes)} | ${r.withMapsMs.toFixed(0)} ms | ${r.withoutMapsMs.toFixed(0)} ms | ${(((r.withMapsMs - r.withoutMapsMs) / r.withoutMapsMs) * 100).toFixed(0)} % |`,
    );
  }
  return lines;
}
