/**
 * `npm run audit:verify [-- --endpoint URL] [--audit-table NAME --exception-table NAME] [--state-dir DIR]`
 * Walks every audit stream (docs/security.md#audit) from its first line and reports, per stream, the first
 * broken link: a line altered, unlinked, missing, or an exception whose trail ends before its current version
 * (a deleted last line). Prints a JSON report; exits 1 when any stream is broken.
 *
 * Where it reads: `--endpoint` (a running hub's DynamoDB, printed by `npm start`), else AWS_ENDPOINT_URL_DYNAMODB,
 * else the local state dir's tables opened directly (the hub must be stopped: LevelDB allows one process).
 * In AWS, give the physical table names (stack resources AuditTable and ExceptionTable) and run it with an
 * operator's credentials: it Scans, which no function of the hub may do.
 */
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { type AuditLine, type ChainVerdict, verifyChain } from '../lambdas/core/audit.js';

// The AWS SDK's notice about Node 20 (README, The two commands): silenced by its own switch, as the other scripts.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface AuditReport {
  intact: boolean;
  streams: number;
  lines: number;
  /** Exception entries checked against their trail (every one must have one reaching its version). */
  exceptions: number;
  broken: ChainVerdict[];
}

async function scanAll(
  doc: DynamoDBDocumentClient,
  input: Omit<ConstructorParameters<typeof ScanCommand>[0], 'ExclusiveStartKey'>,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await doc.send(
      new ScanCommand({ ...input, ConsistentRead: true, ExclusiveStartKey: startKey }),
    );
    items.push(...(out.Items ?? []));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** Reads both tables whole and verifies every stream, and every exception entry against its stream. */
export async function verifyAuditTable(
  client: DynamoDBClient,
  tables: { auditTable: string; exceptionTable: string },
): Promise<AuditReport> {
  const doc = DynamoDBDocumentClient.from(client);
  const streams = new Map<string, AuditLine[]>();
  const items = await scanAll(doc, { TableName: tables.auditTable });
  for (const item of items) {
    const line = { ...(item as unknown as AuditLine), seq: Number(item.seq) };
    streams.set(line.stream, [...(streams.get(line.stream) ?? []), line]);
  }
  const entries = await scanAll(doc, {
    TableName: tables.exceptionTable,
    FilterExpression: 'sk = :entry',
    ExpressionAttributeValues: { ':entry': 'ENTRY' },
    ProjectionExpression: 'pk, version',
  });
  const versions = new Map(
    entries.map((e) => [`exception#${String(e.pk).replace(/^EXC#/, '')}`, Number(e.version)]),
  );
  const names = [...new Set([...streams.keys(), ...versions.keys()])].sort();
  const verdicts = names.map((stream) => {
    const version = versions.get(stream);
    return verifyChain(
      stream,
      streams.get(stream) ?? [],
      version === undefined ? {} : { entryVersion: version },
    );
  });
  const broken = verdicts.filter((v) => !v.intact);
  return {
    intact: broken.length === 0,
    streams: names.length,
    lines: items.length,
    exceptions: versions.size,
    broken,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      endpoint: { type: 'string' },
      'audit-table': { type: 'string' },
      'exception-table': { type: 'string' },
      'state-dir': { type: 'string' },
    },
  });
  const tables = {
    auditTable: values['audit-table'] ?? 'AuditTable',
    exceptionTable: values['exception-table'] ?? 'ExceptionTable',
  };
  let endpoint = values.endpoint ?? process.env.AWS_ENDPOINT_URL_DYNAMODB;
  let close = async () => {};
  const local = !endpoint && !values['audit-table'];
  if (local) {
    const stateDir = resolve(
      values['state-dir'] ??
        process.env.RCM_STATE_DIR ??
        join(dirname(fileURLToPath(import.meta.url)), '..', '.rcm-hub'),
    );
    const server = dynalite({ path: join(stateDir, 'dynamodb') });
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(0, '127.0.0.1', () => ok());
    });
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise<void>((ok) => server.close(() => ok()));
  }
  const client = new DynamoDBClient({
    ...(endpoint ? { endpoint } : {}),
    ...(endpoint ? { region: process.env.AWS_REGION ?? 'us-east-1' } : {}),
    ...(endpoint && !process.env.AWS_ACCESS_KEY_ID
      ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
  try {
    const report = await verifyAuditTable(client, tables);
    console.log(JSON.stringify(report, null, 2));
    process.exitCode = report.intact ? 0 : 1;
  } catch (error) {
    const missing = (error as Error).name === 'ResourceNotFoundException';
    console.error(
      `audit:verify: ${(error as Error).message}${
        missing
          ? ` (no ${tables.auditTable}/${tables.exceptionTable} there: has the hub run with this state dir?)`
          : local
            ? ' (is the hub running? stop it, or pass --endpoint with its DynamoDB URL)'
            : ''
      }`,
    );
    process.exitCode = 2;
  } finally {
    client.destroy();
    await close();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
