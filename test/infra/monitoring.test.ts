/**
 * Issue #6, business monitoring: one encrypted topic per audience with the stage's e-mail subscriptions, every
 * alarm of the alarm table (lambdas/monitoring-alarms.ts) with the stage's threshold and both alarm and OK
 * actions on its audience's topic, the SLA sweeper's schedule and thresholds, and the stage dashboard.
 */
import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AUDIENCES,
  alarmDefinitions,
  alarmName,
  emfDimensions,
  metricsNamespace,
} from '../../lambdas/monitoring-alarms.js';
import { env } from '../../lambdas/wiring.js';
import { type StageConfig, StageConfig as StageConfigSchema } from '../../lib/config.js';
import { cdkContext, type Synthesized, synthStage } from './synth.js';

const stages = cdkContext.stages as Record<string, unknown>;

function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

describe.each(['dev', 'prod'])('monitoring of the %s stack', (stage) => {
  let s: Synthesized;
  let config: StageConfig;

  beforeAll(() => {
    s = synthStage(stage, {
      // E-mails per audience come from the stage config (cdk.json has none yet; these are test addresses).
      context: {
        stages: {
          ...stages,
          [stage]: {
            ...(stages[stage] as Record<string, unknown>),
            monitoring: {
              ...((stages[stage] as { monitoring: Record<string, unknown> }).monitoring ?? {}),
              alertEmails: {
                finance: ['finance@example.org', 'controller@example.org'],
                billing: ['billing@example.org'],
                integration: ['oncall@example.org'],
              },
            },
          },
        },
      },
    });
    config = StageConfigSchema.parse(
      (s.app.node.tryGetContext('stages') as Record<string, unknown>)[stage] as Record<string, unknown>,
    );
  });

  it('has one encrypted topic per audience, each with its e-mail subscriptions', () => {
    for (const audience of AUDIENCES) {
      const topic = s.stack.monitoring.topics[audience];
      s.template.hasResourceProperties('AWS::SNS::Topic', {
        TopicName: `rcm-hub-${stage}-${audience}-alerts`,
        KmsMasterKeyId: Match.anyValue(),
      });
      for (const email of config.monitoring.alertEmails[audience]) {
        s.template.hasResourceProperties('AWS::SNS::Subscription', {
          Protocol: 'email',
          Endpoint: email,
          TopicArn: { Ref: logicalId(topic) },
        });
      }
    }
    s.template.resourceCountIs('AWS::SNS::Subscription', 4);
  });

  it.each(alarmDefinitions(StageConfigSchema.parse(stages[stage]).monitoring).map((d) => [d.name, d]))(
    'alarm %s has the stage threshold and notifies its audience on alarm and on OK',
    (_name, definition) => {
      // Prepare
      const topic = { Ref: logicalId(s.stack.monitoring.topics[definition.audience]) };
      const threshold = alarmDefinitions(config.monitoring).find(
        (d) => d.name === definition.name,
      )?.threshold;

      // Assess
      s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: alarmName(stage, definition.name),
        AlarmDescription: definition.description,
        Threshold: threshold,
        ComparisonOperator: definition.comparison,
        EvaluationPeriods: definition.evaluationPeriods,
        TreatMissingData: definition.treatMissingData,
        AlarmActions: [topic],
        OKActions: [topic],
      });
      if (definition.metric.source === 'emf') {
        s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmName: alarmName(stage, definition.name),
          Namespace: metricsNamespace(stage),
          MetricName: definition.metric.metricName,
          Period: definition.periodSeconds,
          // The exact dimension set Powertools emits (service + handler + the metric's own).
          // (CDK renders them sorted by name.)
          Dimensions: Object.entries(emfDimensions(definition.metric))
            .map(([Name, Value]) => ({ Name, Value }))
            .sort((a, b) => (a.Name < b.Name ? -1 : 1)),
        });
      }
    },
  );

  it('uses the configured thresholds', () => {
    const byName = (name: string) =>
      Object.values(s.template.findResources('AWS::CloudWatch::Alarm')).find(
        (a) => a.Properties.AlarmName === alarmName(stage, name),
      )?.Properties;
    expect(byName('ReconciliationPayerVariance')?.Threshold).toBe(config.monitoring.variancePerPayerCents);
    expect(byName('OdooErrorRate')?.Threshold).toBe(config.monitoring.odooErrorRatePercent);
    expect(byName('OdooErrorRate')?.Metrics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Expression: '100 * FILL(errors, 0) / calls', ReturnData: true }),
      ]),
    );
    for (const team of AUDIENCES) {
      expect(byName(`OpenExceptions-${team}`)?.Threshold).toBe(config.monitoring.openExceptionsPerTeam[team]);
    }
    expect(byName('OdooWriteQueueAge')?.Threshold).toBe(config.monitoring.odooWriteQueueAgeMinutes * 60);
    expect(byName('RemittancesUnposted')?.AlarmDescription).toContain(
      `within ${config.monitoring.remittanceUnpostedHours} h`,
    );
  });

  it('runs the SLA sweeper on the stage rate with the stage thresholds', () => {
    // Prepare
    const sweeper = s.stack.functions.byName.slaSweeper;
    const fn = s.template.toJSON().Resources[logicalId(sweeper)].Properties;
    const { alertEmails: _emails, ...thresholds } = config.monitoring;

    // Assess
    s.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: `rate(${config.monitoring.sweeperRateMinutes} minutes)`,
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(sweeper), 'Arn'] } })],
    });
    expect(JSON.parse(fn.Environment.Variables[env.slaThresholds])).toEqual(thresholds);
    expect(fn.Environment.Variables[env.slaThresholds]).not.toContain('@');
  });

  it('has a dashboard with the funnel, business, reconciliation, technical and alarm widgets', () => {
    // Prepare
    const [dashboard] = Object.values(s.template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);

    // Assess
    expect(dashboard?.Properties.DashboardName).toBe(`rcm-hub-${stage}`);
    for (const text of [
      'EncountersByState',
      'RemittancesUnpostedCents',
      'InvoicesAwaitingClaimOverdueCents',
      'OpenExceptions',
      'ReconciliationVarianceCents',
      'ReconciliationVarianceCount',
      'ReconciliationFailedPayers',
      'OdooCallLatency',
      'AWS/ApiGateway',
      'ApproximateAgeOfOldestMessage',
      'alarm',
    ]) {
      expect(body).toContain(text);
    }
  });
});
