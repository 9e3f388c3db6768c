import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AlarmDefinition,
  alarmDefinitions,
  emfDimensions,
  METRIC_EMITTERS,
  METRICS,
  MonitoringThresholds,
  queueDlqAlarmDefinitions,
} from '../../lambdas/monitoring-alarms.js';
import { handlers } from '../../lambdas/wiring.js';
import {
  captureEmf,
  LocalCloudWatch,
  parseEmf,
  SQS_NAMESPACE,
  sqsQueueName,
} from '../../local/cloudwatch.js';
import { LocalSns } from '../../local/sns.js';

const root = join(import.meta.dirname, '..', '..');
const defaults = MonitoringThresholds.parse({});
const table = alarmDefinitions(defaults);
const operations = readFileSync(join(root, 'docs', 'operations.md'), 'utf8');

describe('the alarm table', () => {
  it('names each alarm once', () => {
    expect(new Set(table.map((a) => a.name)).size).toBe(table.length);
  });

  it.each(table.map((a) => [a.name, a] as const))(
    '%s: says what, the unit, and where to look',
    (_n, alarm) => {
      // CloudWatch caps AlarmDescription at 1024 characters.
      expect(alarm.description.length).toBeLessThanOrEqual(1024);
      expect(alarm.description).toMatch(/The value is /);
      const anchor = /docs\/operations\.md#([a-z0-9-]+)/.exec(alarm.description)?.[1];
      expect(anchor, 'runbook anchor').toBeDefined();
      expect(operations, `docs/operations.md has <a id="${anchor}">`).toContain(`<a id="${anchor}"></a>`);
      if (/Cents$/.test(metricNameOf(alarm))) expect(alarm.description).toMatch(/in US cents/);
      expect(alarm.description).not.toMatch(/ENC-|PAT-|member/i);
    },
  );

  it('OdooDownBacklog (fixed text) tells the operator where the live backlog and drain rate are', () => {
    const alarm = table.find((a) => a.name === 'OdooDownBacklog');
    expect(alarm?.description).toMatch(/GET \/health\/details \(odooWrites\.summary\)/);
    expect(alarm?.description).toMatch(/probe's own message on this topic/);
    expect(alarm?.description).toMatch(/every 15 min while it stays open/);
    expect(alarm?.description).toMatch(/#odoo-outage-breaker-and-duplicates/);
  });

  it('names only metrics the hub defines, emitted by handlers that exist (or the reconciliation run)', () => {
    const names = new Set<string>(Object.values(METRICS));
    for (const alarm of table) {
      const refs =
        alarm.metric.source === 'emf'
          ? [alarm.metric]
          : alarm.metric.source === 'emfPercent'
            ? [alarm.metric.numerator, alarm.metric.denominator]
            : [];
      for (const ref of refs) {
        expect(names).toContain(ref.metricName);
        expect(Object.values(METRIC_EMITTERS)).toContain(ref.emittedBy);
        if (ref.emittedBy !== METRIC_EMITTERS.reconciliation)
          expect(Object.keys(handlers)).toContain(ref.emittedBy);
      }
    }
  });

  it('each emitting handler creates its metrics under the name the alarms use', () => {
    for (const name of [
      METRIC_EMITTERS.slaSweeper,
      METRIC_EMITTERS.odooWriter,
      METRIC_EMITTERS.deliverWebhooks,
    ]) {
      const source = readFileSync(join(root, handlers[name].entry), 'utf8');
      expect(source).toContain(`createMetrics('${name}')`);
    }
  });

  it('dimensions are payer, team, state or queue only (never patient, member or claim ids)', () => {
    for (const alarm of table) {
      if (alarm.metric.source !== 'emf') continue;
      const extra = Object.keys(alarm.metric.dimensions ?? {});
      for (const key of extra) expect(['PayerId', 'Team', 'State', 'QueueName']).toContain(key);
    }
  });

  it('takes its thresholds from the stage config', () => {
    const custom = alarmDefinitions(
      MonitoringThresholds.parse({
        variancePerPayerCents: 1234,
        odooErrorRatePercent: 7,
        openExceptionsPerTeam: { finance: 1, billing: 2, integration: 3 },
      }),
    );
    const threshold = (name: string) => custom.find((a) => a.name === name)?.threshold;
    expect(threshold('ReconciliationPayerVariance')).toBe(1234);
    expect(threshold('OdooErrorRate')).toBe(7);
    expect(threshold('OpenExceptions-billing')).toBe(2);
  });
});

function metricNameOf(alarm: AlarmDefinition): string {
  return 'metricName' in alarm.metric ? alarm.metric.metricName : '';
}

describe('the local CloudWatch stand-in', () => {
  const remittances = table.find((a) => a.name === 'RemittancesUnposted') as AlarmDefinition;
  const ref = remittances.metric as Extract<AlarmDefinition['metric'], { source: 'emf' }>;
  let cloudwatch: LocalCloudWatch | undefined;
  afterEach(() => cloudwatch?.close());

  function standIn(now: () => number = Date.now) {
    const sns = new LocalSns(['finance', 'billing', 'integration'], (t) => `arn:aws:sns:us-east-1:0:${t}`);
    cloudwatch = new LocalCloudWatch({
      namespace: 'rcm-hub-local',
      alarms: [remittances],
      alarmName: (n) => `rcm-hub-local-${n}`,
      sns,
      region: 'us-east-1',
      regionName: 'US East (N. Virginia)',
      account: '000000000000',
      periodSeconds: 60,
      evaluationIntervalMs: 0,
      now,
    });
    return { sns, cloudwatch };
  }

  const emf = (value: number, at: number) =>
    JSON.stringify({
      _aws: {
        Timestamp: at,
        CloudWatchMetrics: [
          {
            Namespace: 'rcm-hub-local',
            Dimensions: [['service', 'handler']],
            Metrics: [{ Name: ref.metricName, Unit: 'None' }],
          },
        ],
      },
      ...emfDimensions(ref),
      [ref.metricName]: value,
    });

  it('reads the EMF Powertools prints, as CloudWatch Logs extracts it', () => {
    // Prepare
    const lines: string[] = [];
    const release = captureEmf((line) => lines.push(line), { echo: false });
    const metrics = new Metrics({
      namespace: 'rcm-hub-local',
      serviceName: 'rcm-hub',
      defaultDimensions: { handler: 'slaSweeper' },
    });

    // Act
    try {
      metrics.addDimension('State', 'claim_submitted');
      metrics.addMetric('EncountersByState', MetricUnit.Count, 3);
      metrics.publishStoredMetrics();
    } finally {
      release();
    }

    // Assess
    expect(lines).toHaveLength(1);
    expect(parseEmf(lines[0] as string)).toEqual([
      expect.objectContaining({
        namespace: 'rcm-hub-local',
        metricName: 'EncountersByState',
        dimensions: { service: 'rcm-hub', handler: 'slaSweeper', State: 'claim_submitted' },
        values: [3],
      }),
    ]);
  });

  it('notifies on ALARM and on the way back to OK only, once each', () => {
    // Prepare: the stand-in's clock is the test's, so the outcome never depends on today's date.
    const t0 = Date.parse('2026-12-01T10:00:10Z');
    let clock = t0;
    const { sns, cloudwatch } = standIn(() => clock);
    const at = (ms: number) => {
      clock = t0 + ms;
      return clock;
    };

    // Act: breach, breach again, clear, clear again.
    cloudwatch.ingest(emf(123_456, at(0)));
    at(1000);
    cloudwatch.evaluate();
    cloudwatch.ingest(emf(123_456, at(60_000)));
    at(61_000);
    cloudwatch.evaluate();
    cloudwatch.ingest(emf(0, at(120_000)));
    at(121_000);
    cloudwatch.evaluate();
    cloudwatch.ingest(emf(0, at(180_000)));
    at(181_000);
    cloudwatch.evaluate();
    at(600_000);
    cloudwatch.evaluate(); // no data (ignore): state kept, no message

    // Assess
    const messages = sns.messages('finance').map((m) => JSON.parse(m.Message));
    expect(messages.map((m) => [m.OldStateValue, m.NewStateValue])).toEqual([
      ['INSUFFICIENT_DATA', 'ALARM'],
      ['ALARM', 'OK'],
    ]);
    expect(messages[0].NewStateReason).toBe(
      'Threshold Crossed: 1 datapoint [123456.0 (01/12/26 10:00:00)] was greater than the threshold (0.0).',
    );
    expect(messages[0]).toMatchObject({
      AlarmName: 'rcm-hub-local-RemittancesUnposted',
      AlarmDescription: remittances.description,
      Trigger: {
        MetricName: 'RemittancesUnpostedCents',
        Period: 60,
        Threshold: 0,
        TreatMissingData: 'ignore',
      },
    });
  });

  it('a clean first sweep is not news: INSUFFICIENT_DATA → OK notifies nobody', () => {
    const t0 = Date.parse('2026-12-01T10:00:10Z');
    let clock = t0;
    const { sns, cloudwatch } = standIn(() => clock);
    cloudwatch.ingest(emf(0, t0));
    expect(cloudwatch.alarms()[0]?.state).toBe('INSUFFICIENT_DATA'); // its period has not ended yet
    clock = t0 + 60_000;
    cloudwatch.evaluate();
    expect(cloudwatch.alarms()[0]?.state).toBe('OK');
    expect(sns.messages()).toEqual([]);
  });
});

describe('the local CloudWatch stand-in evaluates complete periods only (issue 12)', () => {
  const errorRate = table.find((a) => a.name === 'OdooErrorRate') as AlarmDefinition;
  const writer = (metricName: string) => ({
    metricName,
    emittedBy: METRIC_EMITTERS.odooWriter,
    statistic: 'Sum' as const,
  });
  let cloudwatch: LocalCloudWatch | undefined;
  afterEach(() => cloudwatch?.close());

  const sns = () =>
    new LocalSns(['finance', 'billing', 'integration'], (t) => `arn:aws:sns:us-east-1:0:${t}`);
  const standIn = (alarms: AlarmDefinition[], now: () => number, topics = sns()) => {
    cloudwatch = new LocalCloudWatch({
      namespace: 'rcm-hub-local',
      alarms,
      alarmName: (n) => `rcm-hub-local-${n}`,
      sns: topics,
      region: 'us-east-1',
      regionName: 'US East (N. Virginia)',
      account: '000000000000',
      evaluationIntervalMs: 0,
      now,
    });
    return { cloudwatch, topics };
  };
  const calls = (at: number, total: number, errors: number) =>
    JSON.stringify({
      _aws: {
        Timestamp: at,
        CloudWatchMetrics: [
          {
            Namespace: 'rcm-hub-local',
            Dimensions: [['service', 'handler']],
            Metrics: [{ Name: METRICS.odooCalls }, { Name: METRICS.odooCallErrors }],
          },
        ],
      },
      ...emfDimensions(writer(METRICS.odooCalls)),
      [METRICS.odooCalls]: total,
      [METRICS.odooCallErrors]: errors,
    });

  it('OdooErrorRate: a burst of errors early in a 5-minute period does not flap the alarm', () => {
    // Prepare: the period 10:00–10:05 has 1 failed call first, then 99 good ones (1 %, under the 5 % threshold).
    const t0 = Date.parse('2026-12-01T10:00:00Z');
    let clock = t0;
    const { cloudwatch, topics } = standIn([errorRate], () => clock);

    // Act: evaluated after every datapoint, as the runtime does, and each minute.
    cloudwatch.ingest(calls(t0 + 1_000, 1, 1)); // 100 % — if the partial period counted, this would ALARM
    for (let minute = 1; minute < 5; minute++) {
      clock = t0 + minute * 60_000;
      cloudwatch.ingest(calls(clock, 25, 0));
      cloudwatch.evaluate();
    }
    const midPeriod = cloudwatch.alarms()[0]?.state;
    clock = t0 + 300_000;
    cloudwatch.evaluate();

    // Assess: nothing while the period ran; then one state, from the whole period: 1 of 101 calls.
    expect(midPeriod).toBe('INSUFFICIENT_DATA');
    expect(cloudwatch.alarms()[0]?.state).toBe('OK');
    expect(topics.messages()).toEqual([]);
  });

  it('OdooErrorRate: no calls at all (writers paused by the breaker) keeps the state instead of clearing', () => {
    const t0 = Date.parse('2026-12-01T10:00:00Z');
    let clock = t0;
    const { cloudwatch, topics } = standIn([errorRate], () => clock);
    cloudwatch.ingest(calls(t0 + 1_000, 20, 20));
    clock = t0 + 300_000;
    cloudwatch.evaluate();
    clock = t0 + 900_000; // two periods without a call
    cloudwatch.evaluate();
    expect(topics.messages('integration').map((m) => JSON.parse(m.Message).NewStateValue)).toEqual(['ALARM']);
  });

  it('evaluates the DLQ depth and queue age alarms from sampled SQS metrics and tells integration', () => {
    // Prepare
    const t0 = Date.parse('2026-12-01T10:00:00Z');
    let clock = t0;
    const dlq = queueDlqAlarmDefinitions((q) => sqsQueueName(q, true)).find(
      (a) => a.name === 'OdooWriteQueueDlq',
    ) as AlarmDefinition;
    const age = table.find((a) => a.name === 'OdooWriteQueueAge') as AlarmDefinition;
    const { cloudwatch, topics } = standIn([dlq, age], () => clock);
    const sample = (at: number, dlqVisible: number, ageSeconds: number) =>
      cloudwatch.putMetric(
        {
          namespace: SQS_NAMESPACE,
          metricName: 'ApproximateNumberOfMessagesVisible',
          dimensions: { QueueName: 'OdooWriteQueue-dlq.fifo' },
          values: [dlqVisible],
          timestamp: at,
        },
        {
          namespace: SQS_NAMESPACE,
          metricName: 'ApproximateAgeOfOldestMessage',
          dimensions: { QueueName: 'OdooWriteQueue.fifo' },
          values: [ageSeconds],
          timestamp: at,
        },
      );

    // Act: sampled each minute, as AWS samples SQS: one dead letter and a 40-minute-old write for five
    // minutes, then both cleared for five.
    for (let minute = 0; minute < 10; minute++) {
      sample(t0 + minute * 60_000 + 10_000, minute < 5 ? 1 : 0, minute < 5 ? 2_400 + minute * 60 : 0);
      clock = t0 + (minute + 1) * 60_000;
      cloudwatch.evaluate();
    }

    // Assess
    expect(cloudwatch.alarms().every((a) => a.evaluatedLocally)).toBe(true);
    const messages = topics.messages('integration').map((m) => JSON.parse(m.Message));
    expect(messages.map((m) => [m.AlarmName, m.NewStateValue])).toEqual([
      ['rcm-hub-local-OdooWriteQueueDlq', 'ALARM'],
      ['rcm-hub-local-OdooWriteQueueAge', 'ALARM'],
      ['rcm-hub-local-OdooWriteQueueDlq', 'OK'],
      ['rcm-hub-local-OdooWriteQueueAge', 'OK'],
    ]);
    expect(messages[0].AlarmDescription).toContain('OdooWriteQueue-dlq.fifo');
  });
});
