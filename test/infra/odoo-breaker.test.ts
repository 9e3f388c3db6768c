/**
 * Issue 12, the AWS side of the Odoo circuit breaker (lib/odoo-breaker.ts): the probe may flip exactly the
 * writer's event source mapping and read the write queue's depth; the writer may wake exactly the probe;
 * the probe runs every minute. Nothing else in the stack may touch an event source mapping.
 */
import { type CfnElement, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { alarmName } from '../../lambdas/monitoring-alarms.js';
import { env } from '../../lambdas/wiring.js';
import { tableFor } from '../../lib/data.js';
import { odooBreakerProbeName } from '../../lib/odoo-breaker.js';
import { type Synthesized, synthStage } from './synth.js';

function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

interface Statement {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
}

const actionsOf = (st: Statement): string[] => (Array.isArray(st.Action) ? st.Action : [st.Action]);

function statementsOf(s: Synthesized, fn: IConstruct & { role?: IConstruct }): Statement[] {
  const role = logicalId(fn.role as IConstruct);
  return Object.values(s.template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(role))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

describe.each(['dev', 'prod'])('the Odoo circuit breaker in the %s stack', (stage) => {
  let s: Synthesized;
  let mappingId: string;

  beforeAll(() => {
    s = synthStage(stage);
    const mappings = s.template.findResources('AWS::Lambda::EventSourceMapping');
    const writer = logicalId(s.stack.functions.byName.odooWriter);
    const queue = logicalId(s.stack.odooWrites.queues.OdooWriteQueue.queue);
    const found = Object.entries(mappings).filter(
      ([, m]) =>
        JSON.stringify(m.Properties.FunctionName).includes(writer) &&
        JSON.stringify(m.Properties.EventSourceArn).includes(queue),
    );
    expect(found).toHaveLength(1);
    mappingId = (found[0] as [string, unknown])[0];
  });

  it('names the probe, tells it which mapping and queue, and runs it every minute without retries', () => {
    const probe = s.stack.functions.byName.odooBreakerProbe;
    const props = s.template.toJSON().Resources[logicalId(probe)].Properties;
    expect(props.FunctionName).toBe(odooBreakerProbeName(stage));
    expect(props.Environment.Variables[env.odooWriterEventSourceMapping]).toEqual({ Ref: mappingId });
    expect(props.Environment.Variables[env.odooBreakerBacklogQueue]).toEqual({
      Ref: logicalId(s.stack.odooWrites.queues.OdooWriteQueue.queue),
    });
    s.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [logicalId(probe), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
        },
      ],
    });
    s.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(probe) },
      MaximumRetryAttempts: 0,
    });
  });

  it('lets the probe read and update that one mapping, and read the queue’s attributes only', () => {
    const statements = statementsOf(s, s.stack.functions.byName.odooBreakerProbe);
    const mapping = statements.filter((st) => actionsOf(st).some((a) => a.includes('EventSourceMapping')));
    expect(mapping).toHaveLength(1);
    expect(actionsOf(mapping[0] as Statement).sort()).toEqual([
      'lambda:GetEventSourceMapping',
      'lambda:UpdateEventSourceMapping',
    ]);
    const resource = JSON.stringify((mapping[0] as Statement).Resource);
    expect(resource).toContain(':event-source-mapping:');
    expect(resource).toContain(JSON.stringify({ Ref: mappingId }));
    expect(resource).not.toContain('*');
    const sqs = statements.filter((st) => actionsOf(st).some((a) => a.startsWith('sqs:')));
    expect(sqs).toEqual([
      expect.objectContaining({
        Action: 'sqs:GetQueueAttributes',
        Resource: { 'Fn::GetAtt': [logicalId(s.stack.odooWrites.queues.OdooWriteQueue.queue), 'Arn'] },
      }),
    ]);
    // No send, receive or delete: the probe never touches a message.
    expect(statements.flatMap(actionsOf).filter((a) => /^lambda:/.test(a))).toHaveLength(2);
  });

  it('evaluates complete periods only: every alarm whose period allows it has a wall clock window', () => {
    const alarms = Object.values(s.template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    const periodOf = (p: Record<string, unknown>): number | undefined =>
      (p.Period as number | undefined) ??
      (p.Metrics as { MetricStat?: { Period: number } }[] | undefined)?.find((m) => m.MetricStat)?.MetricStat
        ?.Period;
    const eligible = alarms.filter((p) => [60, 300, 3600].includes(periodOf(p) as number));
    expect(eligible.length).toBeGreaterThan(10);
    for (const p of eligible)
      expect(p.EvaluationWindow, String(p.AlarmName)).toEqual({ WallClockWindow: {} });
    const byName = (name: string) => alarms.find((p) => p.AlarmName === alarmName(stage, name));
    expect(byName('OdooErrorRate')).toMatchObject({
      EvaluationWindow: { WallClockWindow: {} },
      TreatMissingData: 'ignore',
    });
    expect(byName('OdooDownBacklog')).toMatchObject({
      MetricName: 'OdooBreakerOpen',
      Period: 60,
      EvaluationWindow: { WallClockWindow: {} },
    });
  });

  it('lets the probe tell the integration topic, and nothing else', () => {
    const statements = statementsOf(s, s.stack.functions.byName.odooBreakerProbe);
    const publish = statements.filter((st) => actionsOf(st).includes('sns:Publish'));
    expect(publish).toEqual([
      expect.objectContaining({ Resource: { Ref: logicalId(s.stack.monitoring.topics.integration) } }),
    ]);
  });

  it("measures the drain with the writers' counter in the workflow table: no CloudWatch read, no new grant", () => {
    const table = logicalId(s.stack.data.tables[tableFor('workflowTable')]);
    const canOnTable = (fn: IConstruct & { role?: IConstruct }, action: string) =>
      statementsOf(s, fn).some(
        (st) => actionsOf(st).includes(action) && JSON.stringify(st.Resource).includes(table),
      );
    expect(canOnTable(s.stack.functions.byName.odooWriter, 'dynamodb:UpdateItem')).toBe(true);
    expect(canOnTable(s.stack.functions.byName.odooBreakerProbe, 'dynamodb:GetItem')).toBe(true);
    const probeActions = statementsOf(s, s.stack.functions.byName.odooBreakerProbe).flatMap(actionsOf);
    expect(probeActions.filter((a) => a.startsWith('cloudwatch:'))).toEqual([]);
  });

  it('lets the writer invoke exactly the probe, and nobody else touch an event source mapping', () => {
    const writer = statementsOf(s, s.stack.functions.byName.odooWriter);
    const invoke = writer.filter((st) => actionsOf(st).includes('lambda:InvokeFunction'));
    expect(invoke).toHaveLength(1);
    const resource = JSON.stringify((invoke[0] as Statement).Resource);
    expect(resource).toContain(`:function:${odooBreakerProbeName(stage)}`);
    expect(resource).not.toContain('*');
    const writerEnv =
      s.template.toJSON().Resources[logicalId(s.stack.functions.byName.odooWriter)].Properties.Environment
        .Variables;
    expect(writerEnv[env.odooBreakerProbeFunction]).toBe(odooBreakerProbeName(stage));

    const probeRole = logicalId(s.stack.functions.byName.odooBreakerProbe.role as IConstruct);
    const others = Object.values(s.template.findResources('AWS::IAM::Policy'))
      .filter((p) => !JSON.stringify(p.Properties.Roles).includes(probeRole))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[])
      .flatMap(actionsOf)
      .filter((a) => a.includes('EventSourceMapping') || a === 'lambda:*');
    expect(others).toEqual([]);
  });
});
