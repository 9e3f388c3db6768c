import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowStore } from '../../lambdas/adapters/dynamodb/workflow-store.js';
import { env } from '../../lambdas/wiring.js';
import type { Hub } from '../../local/runtime.js';
import { accessToken, invoiceRequest, sandboxAdmin, startTestHub } from './support/hub.js';

/**
 * Issue 17: triage and payer insights on a running hub. An exception Odoo caused is triaged when it opens (cause,
 * exposure, next action, model version in its audit); a person's resolve records the cause they chose; a
 * retrain learns from it and changes the model version; a payer's denial spike opens one anomaly exception
 * and clears it once when the payer is back to normal.
 */
interface Triage {
  modelVersion: string;
  cause: string;
  confidence: number;
  exposureCents: number;
  nextAction: { action: string; api?: { method: string; path: string } };
  evidence: Array<{ signal: string; weight: number; text: string }>;
  priorityRank?: number;
}
interface ExceptionView {
  id: string;
  key: string;
  team: string;
  status: string;
  amountCents: number;
  triage?: Triage;
  resolution?: {
    cause?: string;
    action?: string;
    code?: string;
    feedback?: { outcome: string; modelVersion?: string };
  };
  audit: Array<{ action: string; clientId: string; note?: string }>;
}

let hub: Hub;
let token: string;

beforeAll(async () => {
  hub = await startTestHub({ odooWriteQueue: { visibilityTimeoutSeconds: 1, maxReceiveCount: 8 } });
  token = await accessToken(hub);
});

afterAll(async () => {
  await hub?.close();
});

async function api<T = Record<string, unknown>>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${hub.baseUrl}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

async function refusedInvoice(label: string): Promise<ExceptionView> {
  const invoice = invoiceRequest({ invoiceId: `INV-TRI-${label}` });
  await sandboxAdmin(hub, 'constraints', {
    model: 'account.move',
    method: 'create',
    field: 'ref',
    equals: invoice.invoiceId,
    name: 'odoo.exceptions.MissingError',
    message: 'Record does not exist or has been deleted (res.partner 4412)',
  });
  const accepted = await api('POST', '/v1/invoices', invoice, {
    'Idempotency-Key': `key-${invoice.invoiceId}`,
  });
  expect(accepted.status).toBe(202);
  await hub.waitForIdle();
  const found = await api<{ items: ExceptionView[] }>(
    'GET',
    `/v1/exceptions?encounterId=${invoice.encounterId}`,
  );
  return found.body.items[0] as ExceptionView;
}

describe('triage of an exception, and learning from the person who resolves it', () => {
  let exception: ExceptionView;

  beforeAll(async () => {
    exception = await refusedInvoice('A');
  });

  it('is triaged when it opens: cause, exposure within the stake, next action, the model version in its audit', async () => {
    expect(exception.triage).toMatchObject({
      modelVersion: expect.stringMatching(/^rules-/),
      cause: 'master_data_mismatch',
      nextAction: {
        action: 'fix_master_data_then_retry',
        api: { method: 'POST', path: `/v1/exceptions/${exception.id}/retry` },
      },
    });
    expect(exception.triage?.exposureCents).toBeLessThanOrEqual(exception.amountCents);
    expect(exception.triage?.evidence.length).toBeGreaterThan(0);
    expect(exception.audit.map((a) => a.action)).toEqual(['opened', 'triaged']);
    expect(exception.audit[1]?.note).toContain(exception.triage?.modelVersion);

    const triage = await api<Triage>('GET', `/v1/exceptions/${exception.id}/triage`);
    expect(triage.status).toBe(200);
    expect(triage.body).toMatchObject({ cause: 'master_data_mismatch', priorityRank: 1 });

    const sorted = await api<{ items: ExceptionView[] }>('GET', '/v1/exceptions?sort=exposure');
    expect(sorted.status).toBe(200);
    expect(sorted.body.items.map((e) => e.id)).toContain(exception.id);
    expect(sorted.body.items[0]?.triage?.priorityRank).toBe(1);
  });

  it("alerts the team's SNS topic once with the cause, its confidence, the money at risk and the next action", () => {
    const alerts = hub.sns.messages('integration').filter((m) => m.Message.includes(exception.id));
    expect(alerts).toHaveLength(1);
    const [alert] = alerts;
    const t = exception.triage as Triage;
    expect(alert?.Subject).toMatch(/^\[integration\] Master-data mismatch: \$[\d,]+\.\d\d at risk$/);
    expect(alert?.Message).toContain(
      `Probable cause: Master-data mismatch, ${Math.round(t.confidence * 100)} % confidence`,
    );
    expect(alert?.Message).toMatch(/Revenue at risk: \$[\d,]+\.\d\d of \$[\d,]+\.\d\d at stake/);
    expect(alert?.Message).toContain(`API: POST /v1/exceptions/${exception.id}/retry.`);
    // No PHI: not the reason (Odoo's message), the invoice, or the encounter.
    expect(alert?.Message).not.toContain('res.partner 4412');
    expect(alert?.Message).not.toContain('INV-TRI-A');
    expect(alert?.Message).not.toContain('ENC-');
  });

  it('resolve records the cause and action the person chose, against the suggestion', async () => {
    const resolved = await api<ExceptionView>('POST', `/v1/exceptions/${exception.id}/resolve`, {
      note: 'The journal for this payer was missing in Odoo; created it and re-posted by hand.',
      cause: 'odoo_configuration_missing',
      action: 'configure_odoo_then_retry',
    });
    expect(resolved.status).toBe(200);
    expect(resolved.body.resolution).toMatchObject({
      cause: 'odoo_configuration_missing',
      action: 'configure_odoo_then_retry',
      feedback: { outcome: 'overridden', modelVersion: exception.triage?.modelVersion },
    });
  });

  it('a retrain learns from it: a new model version, and its overrides are measured', async () => {
    const before = await api<{ version: string }>('GET', '/v1/triage/model');
    const retrained = await api<{
      version: string;
      previousVersion: string;
      changed: boolean;
      examples: number;
    }>('POST', '/v1/triage/model/retrain');
    expect(retrained.status).toBe(200);
    expect(retrained.body).toMatchObject({
      previousVersion: before.body.version,
      changed: true,
      examples: 1,
    });
    expect(retrained.body.version).toMatch(/^nb-1-/);
    const again = await api<{ changed: boolean }>('POST', '/v1/triage/model/retrain');
    expect(again.body.changed).toBe(false);
    const model = await api<{
      version: string;
      feedback: Array<{ modelVersion: string; overridden: number }>;
    }>('GET', '/v1/triage/model');
    expect(model.body.version).toBe(retrained.body.version);
    expect(model.body.feedback).toEqual([
      expect.objectContaining({ modelVersion: exception.triage?.modelVersion, overridden: 1 }),
    ]);
    // The next exception of the same kind is suggested by the new model.
    const next = await refusedInvoice('B');
    expect(next.triage?.modelVersion).toBe(retrained.body.version);
  });
});

describe('payer anomalies on a running hub', () => {
  const payerId = 'PAYER-ANOMALY-1';
  const today = new Date().toISOString().slice(0, 10);
  const day = (offset: number) =>
    new Date(Date.parse(`${today}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);
  let store: WorkflowStore;
  let n = 0;

  /** Claims submitted 14 days before they are adjudicated on `paidOn`; every `deniedEvery`-th denied. */
  async function adjudicated(paidOn: number, count: number, deniedEvery: number, code: string) {
    for (let i = 0; i < count; i += 1) {
      n += 1;
      const claimId = `CLM-AN-${String(n).padStart(5, '0')}`;
      const denied = n % deniedEvery === 0;
      await store.indexClaim({
        claimId,
        encounterId: `ENC-AN-${n}`,
        facilityId: 'FAC-1',
        payerId,
        invoiceIds: [`INV-AN-${n}`],
        billedCents: 200_00,
        submittedDate: day(paidOn - 14),
      });
      await store.indexRemittance({
        remittanceId: `ERA-AN-${n}`,
        encounterId: `ENC-AN-${n}`,
        facilityId: 'FAC-1',
        claimId,
        eventId: `evt-an-${n}`,
        acceptedAt: `${day(paidOn)}T10:00:00Z`,
        remittance: {
          payerId,
          billedCents: 200_00,
          paidCents: denied ? 0 : 140_00,
          claimStatus: denied ? '4' : '1',
          adjustments: [{ group: 'CO', reason: denied ? code : '45', amountCents: denied ? 200_00 : 60_00 }],
          payment: { traceNumber: `TRN-AN-${n}`, method: 'ACH', date: day(paidOn) },
        },
      });
    }
  }

  const anomalyExceptions = async () =>
    (
      await api<{ items: ExceptionView[] }>('GET', `/v1/exceptions?payerId=${payerId}&team=billing`)
    ).body.items.filter((e) => e.key.startsWith('anomaly:denial-rate:'));

  beforeAll(async () => {
    store = new WorkflowStore(
      new DynamoDBClient({
        endpoint: hub.dynamodbEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
      process.env[env.workflowTable] as string,
    );
    // 28 days of a normal payer: 12 claims a day, one in ten denied (CARC 16).
    for (let d = -31; d <= -4; d += 1) await adjudicated(d, 12, 10, '16');
  });

  it('a denial spike opens one exception for billing, with the explanation and the claims behind it', async () => {
    await adjudicated(-3, 50, 2, '197'); // half of the last 50 claims denied for authorization
    await hub.runSchedule('PayerInsights');
    await hub.waitForIdle();
    await hub.runSchedule('PayerInsights'); // a second sweep sees the same: no second exception
    await hub.waitForIdle();
    const opened = await anomalyExceptions();
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({ status: 'open', team: 'billing' });
    expect((opened[0] as unknown as { reason: string }).reason).toMatch(
      /^Payer PAYER-ANOMALY-1: denial rate 50 % over the last 50 claims against 10 % ± \d+ % for 28 days\. Claims: CLM-AN-/,
    );
    expect(opened[0]?.triage?.cause).toBe('payer_anomaly');
    // One alert to billing (two sweeps, one exception): what moved, never the claims behind it.
    const alerts = hub.sns.messages('billing').filter((m) => m.Message.includes(opened[0]?.id as string));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.Message).toMatch(
      /What moved: Payer PAYER-ANOMALY-1: denial rate 50 % over the last 50 claims against 10 % ± \d+ % for 28 days\./,
    );
    expect(alerts[0]?.Message).toContain('Probable cause: Payer payment anomaly');
    expect(alerts[0]?.Message).not.toContain('CLM-AN-');
    const insights = await api<{
      anomalies: Array<{ metric: string; exceptionId: string; claimIds: string[] }>;
      forecast?: unknown;
    }>('GET', `/v1/insights/payers/${payerId}`);
    expect(insights.status).toBe(200);
    expect(insights.body.anomalies.find((a) => a.metric === 'denial-rate')).toMatchObject({
      exceptionId: opened[0]?.id,
    });
    expect(insights.body.forecast).toBeDefined();
  });

  it('clears itself once when the payer is back to normal', async () => {
    await adjudicated(-2, 30, 10, '16');
    await adjudicated(-1, 30, 10, '16');
    await hub.runSchedule('PayerInsights');
    await hub.waitForIdle();
    await hub.runSchedule('PayerInsights');
    await hub.waitForIdle();
    const after = await anomalyExceptions();
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ status: 'resolved', resolution: { code: 'cleared' } });
    // Cleared by the automation (its own audit action since the audit table, issue #15), once.
    expect(after[0]?.audit.filter((a) => a.action === 'cleared')).toHaveLength(1);
    expect(after[0]?.audit.filter((a) => a.action === 'resolved')).toHaveLength(0);
    // Two alerts in all for the episode: opened, then cleared (two sweeps after clearing add nothing).
    const alerts = hub.sns.messages('billing').filter((m) => m.Message.includes(after[0]?.id as string));
    expect(alerts.map((m) => m.Subject)).toEqual([
      expect.stringMatching(/^\[billing\] Payer payment anomaly: \$/),
      '[billing] Cleared: PAYER-ANOMALY-1 denial rate back to normal',
    ]);
  });
});
