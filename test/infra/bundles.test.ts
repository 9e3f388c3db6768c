/**
 * What the deployed bundles leave out (issue 16), checked on esbuild's metafile with the options RcmFunction
 * deploys with (lib/bundling.ts): the SDK's credential chain beyond the environment, zod's locales, and the S3
 * presigner outside the one handler that presigns. Sizes and init times are the bench's (`npm run bench`).
 */
import path from 'node:path';
import { build, type Metafile } from 'esbuild';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultProvider } from '../../lambdas/adapters/aws/lambda-credentials.js';
import { handlers } from '../../lambdas/wiring.js';
import { esbuildOptions } from '../../lib/bundling.js';

const root = path.resolve(import.meta.dirname, '../..');

/** Each handler built once for all the checks below. */
const metafiles = new Map<string, Promise<Metafile>>();
function metafileOf(handler: keyof typeof handlers): Promise<Metafile> {
  let metafile = metafiles.get(handler);
  if (!metafile) {
    metafile = build({
      ...esbuildOptions(root, false),
      entryPoints: [path.join(root, handlers[handler].entry)],
      write: false,
      outfile: path.join(root, 'cdk.out', 'bundle-test', `${handler}.mjs`),
      metafile: true,
    }).then((result) => result.metafile);
    metafiles.set(handler, metafile);
  }
  return metafile;
}

/** The inputs (node_modules files as `package/path`, our files by repository path) in the bundle of `handler`. */
async function packagesIn(handler: keyof typeof handlers, ours = false): Promise<Set<string>> {
  const result = await metafileOf(handler);
  const output = Object.values(result.outputs).find((o) => o.entryPoint);
  const packages = new Set<string>();
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(input);
    if (match && bytesInOutput > 0) packages.add(`${match[1]}/${match[2]}`);
    else if (ours && !match && bytesInOutput > 0) packages.add(input);
  }
  return packages;
}

const packageNames = (files: Set<string>) =>
  new Set(
    [...files].map((f) =>
      f
        .split('/')
        .slice(0, f.startsWith('@') ? 2 : 1)
        .join('/'),
    ),
  );

describe('deployed bundles', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('carry only the environment credential provider, not the SSO/INI/process/web-identity/IMDS chain', async () => {
    const packages = packageNames(await packagesIn('odooWriter'));

    expect(packages).toContain('@aws-sdk/credential-provider-env');
    for (const left of [
      '@aws-sdk/credential-provider-node',
      '@aws-sdk/credential-provider-ini',
      '@aws-sdk/credential-provider-sso',
      '@aws-sdk/credential-provider-process',
      '@aws-sdk/credential-provider-web-identity',
      '@aws-sdk/nested-clients',
      '@smithy/credential-provider-imds',
    ]) {
      expect(packages, left).not.toContain(left);
    }
  });

  it('leave out zod locales (namespace import) and keep the presigner to the handler that presigns', async () => {
    const processor = await packagesIn('x12UploadProcessor');
    const uploads = await packagesIn('remittanceUploads');

    // English messages are zod's default error map; the other 40-odd locales stay out.
    expect([...processor].filter((file) => /^zod\/.*\/locales\//.test(file))).toEqual([
      'zod/v4/locales/en.js',
    ]);
    expect(packageNames(processor)).not.toContain('@aws-sdk/s3-request-presigner');
    expect(packageNames(uploads)).toContain('@aws-sdk/s3-request-presigner');
  });

  it('read the execution role credentials Lambda puts in the environment', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDLAMBDA';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    process.env.AWS_SESSION_TOKEN = 'token';

    const credentials = await defaultProvider()();

    expect(credentials).toMatchObject({
      accessKeyId: 'AKIDLAMBDA',
      secretAccessKey: 'secret',
      sessionToken: 'token',
    });
  });

  it('leave out the route table, the exception register and the alarm table where the handler does not use them', async () => {
    // Only the handlers that serve or check the route table itself bundle lambdas/wiring.ts; every other one
    // reads the names it needs from their own modules (env.ts, scopes.ts, intake-routes.ts, …).
    for (const handler of Object.keys(handlers) as Array<keyof typeof handlers>) {
      expect(await packagesIn(handler, true), handler).not.toContain('lambdas/wiring.ts');
    }
    // Opening or closing an exception needs its keys (core/exception-keys.ts), not the register's schemas.
    for (const handler of [
      'ingest',
      'odooWriter',
      'slaSweeper',
      'readWorkflows',
      'x12UploadProcessor',
    ] as const) {
      expect(await packagesIn(handler, true), handler).not.toContain('lambdas/core/exceptions.ts');
    }
    // The health probe and the breaker probe validate nothing but the Odoo secret (read by hand): no zod at all.
    for (const handler of ['health', 'odooBreakerProbe'] as const) {
      expect(packageNames(await packagesIn(handler)), handler).not.toContain('zod');
    }
    // Emitting a metric needs its name (metric-names.ts), not the alarm table and its threshold schemas.
    for (const handler of ['odooWriter', 'deliverWebhooks', 'odooBreakerProbe', 'triageRetrain'] as const) {
      expect(await packagesIn(handler, true), handler).not.toContain('lambdas/monitoring-alarms.ts');
    }
  });
});
