import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../local/runtime.js';
import { isAlarmNotification, type SnsMessage } from '../../local/sns.js';
import { seedClaimThroughApi } from './support/claims.js';
import {
  type ApiCall,
  accessToken,
  apiCaller,
  eventually,
  sandboxAdmin,
  startTestHub,
} from './support/hub.js';

/**
 * Issue #6, business monitoring: the SLA sweeper's metrics, printed as EMF by the in-process handler, reach the
 * local CloudWatch stand-in, which evaluates the same alarm table lib/ deploys and notifies the audience's SNS
 * topic with CloudWatch's message — one ALARM when money is stuck, one OK when it clears, never a repeat.
 */
let hub: Hub;
let token: string;
let call: ApiCall;

beforeAll(async () => {
  hub = await startTestHub({
    // Remittances count as unposted at once; the stuck-in-state thresholds stay far away.
    monitoring: {
      thresholds: { remittanceUnpostedHours: 0 },
      alarmPeriodSeconds: 1,
      sweepIntervalSeconds: false,
    },
    // Odoo "down" must not dead-letter the remittance: it keeps being retried, quickly.
    odooWriteQueue: { retryDelaySeconds: 1, maxReceiveCount: 1000 },
  });
  token = await accessToken(hub);
  call = apiCaller(hub, token, 'mon-it');
});

afterAll(async () => {
  await sandboxAdmin(hub, 'faults', { mode: 'none' }).catch(() => undefined);
  await hub?.close();
});

const alarmsOn = (topic: string): Array<SnsMessage & { alarm: Record<string, unknown> }> =>
  hub.sns
    .messages(topic)
    .filter(isAlarmNotification)
    .map((m) => ({ ...m, alarm: JSON.parse(m.Message) as Record<string, unknown> }))
    .filter((m) => m.alarm.AlarmName === 'rcm-hub-local-RemittancesUnposted');

/** Sweeps land in different alarm periods (1 s locally), as sweeps 15 min apart do in AWS. */
const nextPeriod = () => new Promise((resolve) => setTimeout(resolve, 1100));

describe('a remittance Odoo does not take', () => {
  it('alerts finance once with the payer money at stake, and once more when it is posted', async () => {
    // Prepare: a claimed invoice in Odoo, then Odoo goes down and the payer pays $1,234.56.
    const encounterId = await seedClaimThroughApi(call, {
      claimId: 'C-MON-1',
      billedCents: 150_000,
      prefix: 'MON',
      payerId: 'PAYER-MON',
      payerName: 'Monitoring Test Payer',
    });
    await hub.waitForIdle();
    await sandboxAdmin(hub, 'faults', { mode: 'down' });
    const accepted = await call('POST', '/v1/remittances', {
      remittanceId: 'ERA-MON-1',
      encounterId,
      facilityId: 'FAC-MON',
      claimId: 'C-MON-1',
      payerId: 'PAYER-MON',
      payerClaimControlNumber: 'PCN-MON-1',
      claimStatus: '1',
      billedAmount: '1500.00',
      paidAmount: '1234.56',
      adjustments: [{ group: 'CO', reason: '45', amount: '265.44' }],
      payment: { traceNumber: 'TRN-MON-1', method: 'ACH', date: '2026-11-30' },
    });
    expect(accepted.status).toBe(202);
    await eventually(
      async () => {
        const workflow = await call('GET', `/v1/workflows/${encounterId}`);
        return workflow.body.lastOdooError ? true : undefined;
      },
      20_000,
      'the writer to fail against Odoo',
    );

    // Act: two sweeps while Odoo is down.
    await hub.runSlaSweep();
    await nextPeriod();
    await hub.runSlaSweep();

    // Assess: exactly one ALARM on the finance topic, its reason carrying the cents at stake.
    const raised = alarmsOn('finance');
    expect(raised).toHaveLength(1);
    const [alarm] = raised;
    expect(alarm?.Subject).toBe('ALARM: "rcm-hub-local-RemittancesUnposted" in US East (N. Virginia)');
    expect(alarm?.alarm).toMatchObject({
      NewStateValue: 'ALARM',
      OldStateValue: 'INSUFFICIENT_DATA',
      Trigger: {
        MetricName: 'RemittancesUnpostedCents',
        Namespace: 'rcm-hub-local',
        Statistic: 'MAXIMUM',
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        Dimensions: expect.arrayContaining([
          { name: 'service', value: 'rcm-hub' },
          { name: 'handler', value: 'slaSweeper' },
        ]),
      },
    });
    expect(alarm?.alarm.NewStateReason).toMatch(
      /^Threshold Crossed: 1 datapoint \[123456\.0 \(\d\d\/\d\d\/\d\d \d\d:\d\d:\d\d\)\] was greater than the threshold \(0\.0\)\.$/,
    );
    expect(alarm?.alarm.AlarmDescription).toMatch(/in US cents/);
    expect(alarm?.alarm.AlarmDescription).toMatch(/docs\/operations\.md#alarm-remittances-unposted/);
    expect(JSON.stringify(alarm)).not.toContain(encounterId); // no identifiers in alerts
    expect(hub.sns.messages('billing')).toEqual([]);

    // Act: Odoo is back; the redelivery posts the remittance; two more sweeps.
    await sandboxAdmin(hub, 'faults', { mode: 'none' });
    await hub.waitForIdle();
    const posted = await call('GET', `/v1/workflows/${encounterId}`);
    expect(posted.body.state).toBe('payment_posted');
    await nextPeriod();
    await hub.runSlaSweep();
    await nextPeriod();
    await hub.runSlaSweep();

    // Assess: one OK after the ALARM, nothing else.
    const all = alarmsOn('finance');
    expect(all.map((m) => m.alarm.NewStateValue)).toEqual(['ALARM', 'OK']);
    expect(all[1]?.alarm).toMatchObject({ OldStateValue: 'ALARM' });
    expect(all[1]?.alarm.NewStateReason).toMatch(/\[0\.0 .*\] was not greater than the threshold \(0\.0\)/);
  });

  it('shows the topics, alarms and the workflow funnel over HTTP', async () => {
    // Act
    const finance = (await (await fetch(`${hub.baseUrl}/__local/sns/messages?topic=finance`)).json()) as {
      messages: SnsMessage[];
    };
    const alarms = (await (await fetch(`${hub.baseUrl}/__local/alarms`)).json()) as {
      alarms: { name: string; state: string; evaluatedLocally: boolean }[];
    };
    const funnel = hub.cloudwatch.metrics('EncountersByState');

    // Assess
    expect(finance.messages.length).toBeGreaterThanOrEqual(2);
    expect(alarms.alarms.find((a) => a.name === 'RemittancesUnposted')?.state).toBe('OK');
    expect(alarms.alarms.find((a) => a.name === 'Api5xx')).toMatchObject({
      evaluatedLocally: false,
      state: 'INSUFFICIENT_DATA',
    });
    const latest = funnel.filter((d) => d.dimensions.State === 'payment_posted').at(-1);
    expect(latest?.values).toEqual([1]);
    expect(hub.cloudwatch.metrics('OdooCalls').length).toBeGreaterThan(0);
  });
});

describe('an encounter stuck in its state', () => {
  let stuckHub: Hub;
  let stuckToken: string;

  beforeAll(async () => {
    stuckHub = await startTestHub({
      monitoring: {
        thresholds: {
          stuckHours: { charge_ready: 0, invoice_issued: 0, claim_submitted: 0, payer_response_received: 0 },
        },
        alarmPeriodSeconds: 1,
        sweepIntervalSeconds: false,
      },
    });
    stuckToken = await accessToken(stuckHub);
  });

  afterAll(async () => {
    await stuckHub?.close();
  });

  it('gets one sla exception for billing with its open balance, however often the sweeper runs', async () => {
    // Prepare: an invoice posted in Odoo and no claim.
    const answer = await fetch(`${stuckHub.baseUrl}/v1/invoices`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${stuckToken}`,
        'Content-Type': 'application/json',
        'Idempotency-Key': `mon-stuck-${Date.now()}`,
      },
      body: JSON.stringify({
        invoiceId: 'INV-MON-STUCK',
        encounterId: 'ENC-MON-STUCK',
        facilityId: 'FAC-MON',
        issueDate: '2026-11-02',
        currency: 'USD',
        billTo: { kind: 'payer', id: 'PAYER-MON', name: 'Monitoring Test Payer' },
        lines: [{ code: '99213', codeSystem: 'CPT', description: 'Visit', quantity: 1, unitPrice: '250.00' }],
      }),
    });
    expect(answer.status).toBe(202);
    await stuckHub.waitForIdle();

    // Act
    const first = (await stuckHub.runSlaSweep()) as { exceptionsOpened: number };
    const second = (await stuckHub.runSlaSweep()) as { exceptionsOpened: number };
    await stuckHub.waitForIdle();

    // Assess
    expect(first.exceptionsOpened).toBe(1);
    expect(second.exceptionsOpened).toBe(0);
    const workflow = (await (
      await fetch(`${stuckHub.baseUrl}/v1/workflows/ENC-MON-STUCK`, {
        headers: { Authorization: `Bearer ${stuckToken}` },
      })
    ).json()) as Record<string, unknown>;
    expect(workflow.state).toBe('exception_pending');
    expect(JSON.stringify(workflow)).toContain('sla:invoice_issued');
    const billing = stuckHub.cloudwatch
      .metrics('OpenExceptions')
      .filter((d) => d.dimensions.Team === 'billing')
      .at(-1);
    expect(billing?.values).toEqual([1]);
  });

  it('clears that exception by itself once the claim arrives, in the workflow and the register', async () => {
    // Prepare: the billing system submits the claim the invoice was waiting for.
    const claim = await fetch(`${stuckHub.baseUrl}/v1/claims`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${stuckToken}`,
        'Content-Type': 'application/json',
        'Idempotency-Key': `mon-stuck-claim-${Date.now()}`,
      },
      body: JSON.stringify({
        claimId: 'C-MON-STUCK',
        encounterId: 'ENC-MON-STUCK',
        facilityId: 'FAC-MON',
        payerId: 'PAYER-MON',
        invoiceIds: ['INV-MON-STUCK'],
        billedAmount: '250.00',
        submittedDate: '2026-11-03',
      }),
    });
    expect(claim.status).toBe(202);
    await stuckHub.waitForIdle();

    // Act
    const sweep = (await stuckHub.runSlaSweep()) as { exceptionsCleared: number };
    const again = (await stuckHub.runSlaSweep()) as { exceptionsCleared: number };
    await stuckHub.waitForIdle();

    // Assess: cleared once; the encounter stands at claim_submitted; the register says who closed it and why.
    expect(sweep.exceptionsCleared).toBe(1);
    expect(again.exceptionsCleared).toBe(0);
    const read = async (path: string) =>
      (await (
        await fetch(`${stuckHub.baseUrl}${path}`, { headers: { Authorization: `Bearer ${stuckToken}` } })
      ).json()) as Record<string, unknown>;
    const workflow = await read('/v1/workflows/ENC-MON-STUCK');
    expect(JSON.stringify(workflow.exceptions)).not.toContain('sla:invoice_issued');
    expect(workflow.stage).toBe('claim_submitted');
    const register = await read('/v1/exceptions?encounterId=ENC-MON-STUCK');
    expect(register.items).toContainEqual(
      expect.objectContaining({
        key: 'sla:invoice_issued',
        status: 'resolved',
        resolution: expect.objectContaining({ code: 'cleared', clientId: 'rcm-hub:sla-sweeper' }),
      }),
    );
  });
});
