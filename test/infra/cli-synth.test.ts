/**
 * The one synth that bundles: exactly what `cdk synth` does (esbuild bundling, CDK's built-in CloudFormation
 * validation, cdk-nag plugins), for the dev stage. The bundles must be ESM with the createRequire banner
 * (powertools #2290), carry source maps, and include the AWS SDK rather than import it at runtime.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handlers } from '../../lambdas/wiring.js';
import { type Synthesized, synthStage } from './synth.js';

describe('cdk synth of the dev stage, bundled', () => {
  let outdir: string;
  let synthesized: Synthesized;
  let assembly: CloudAssembly;

  beforeAll(() => {
    outdir = mkdtempSync(path.join(tmpdir(), 'rcm-hub-cdk-'));
    synthesized = synthStage('dev', { asCli: true, outdir });
    assembly = synthesized.app.synth();
  });

  afterAll(() => {
    rmSync(outdir, { recursive: true, force: true });
  });

  it('synthesizes the RcmHub-dev stack without validation failures', () => {
    expect(assembly.getStackByName('RcmHub-dev').templateFile).toBe('RcmHub-dev.template.json');
    const reportFile = path.join(outdir, 'validation-report.json');
    if (existsSync(reportFile)) {
      const report = JSON.parse(readFileSync(reportFile, 'utf8'));
      const failures = (report.pluginReports ?? []).flatMap((r: { violations?: { severity: string }[] }) =>
        (r.violations ?? []).filter((v) => v.severity === 'error' || v.severity === 'fatal'),
      );
      expect(failures).toEqual([]);
    }
  });

  it('bundles one ESM file with a source map and the createRequire banner per handler', () => {
    // Prepare
    const bundles = readdirSync(outdir)
      .filter((entry) => entry.startsWith('asset.'))
      .map((entry) => path.join(outdir, entry))
      .filter((dir) => existsSync(path.join(dir, 'index.mjs')));

    // Assess
    expect(bundles).toHaveLength(Object.keys(handlers).length);
    for (const dir of bundles) {
      const code = readFileSync(path.join(dir, 'index.mjs'), 'utf8');
      expect(
        code.startsWith(
          "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
        ),
      ).toBe(true);
      expect(existsSync(path.join(dir, 'index.mjs.map'))).toBe(true);
      // …beside the bundle, not linked: Node never reads it at init (lib/bundling.ts sourceMapMode).
      expect(code).not.toContain('sourceMappingURL');
      // SDK and Powertools are bundled (externalModules: []), not resolved from the runtime.
      expect(code).not.toMatch(/from\s*["']@aws-sdk\//);
      expect(code).not.toMatch(/from\s*["']@aws-lambda-powertools\//);
      // lib/bundling.ts aliases the SDK's default credential chain to the environment provider (issue 16).
      expect(code).not.toContain('Could not load credentials from any providers');
    }
  });
});
