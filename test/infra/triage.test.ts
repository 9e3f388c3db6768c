import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type HandlerName, routes, schedules, scopes } from '../../lambdas/wiring.js';
import { type Synthesized, synthStage } from './synth.js';

function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

/** Issue 17: the triage retrain and payer insights schedules, their functions' grants and the routes' scopes. */
describe('triage and payer insights in the dev stack', () => {
  let s: Synthesized;

  beforeAll(() => {
    s = synthStage('dev');
  });

  it.each([
    ['TriageRetrain', 'rate(1 day)'],
    ['PayerInsights', 'rate(1 hour)'],
  ] as const)('runs %s on its own schedule (%s), targeting its function', (name, expression) => {
    const fn = s.stack.functions.byName[schedules[name].handler as HandlerName];
    s.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: expression,
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(fn), 'Arn'] } })],
    });
  });

  it('alarms integration when the Odoo write backlog needs over 2 h to clear at the measured posting rate', () => {
    const [alarm] = Object.values(s.template.findResources('AWS::CloudWatch::Alarm')).filter(
      (a) => a.Properties.AlarmName === 'rcm-hub-dev-OdooWriteBacklogDrain',
    );
    expect(alarm?.Properties.Threshold).toBe(7200);
    expect(alarm?.Properties.AlarmDescription).toContain('at this rate the backlog clears in 3 h 20 min');
    expect(JSON.stringify(alarm?.Properties.Metrics)).toContain('PERIOD(deleted)');
    expect(JSON.stringify(alarm?.Properties.AlarmActions)).toContain('IntegrationAlerts');
  });

  it('guards each triage and insights route with its scope', () => {
    const expected: Record<string, string> = {
      getExceptionTriage: scopes.exceptionsRead,
      getPayerInsights: scopes.insightsRead,
      getTriageModel: scopes.exceptionsRead,
      retrainTriageModel: scopes.triageTrain,
    };
    for (const [operationId, scope] of Object.entries(expected)) {
      expect(routes.find((r) => r.operationId === operationId)?.scope).toBe(scope);
      s.template.hasResourceProperties('AWS::ApiGateway::Method', {
        OperationName: operationId,
        AuthorizationType: 'COGNITO_USER_POOLS',
        AuthorizationScopes: [scope],
      });
    }
  });

  it('lets the triage functions touch only the exception register (and insights read the payer ledger)', () => {
    const actionsOf = (name: HandlerName) => {
      const role = s.stack.functions.byName[name].role as IConstruct;
      const policies = Object.values(s.template.findResources('AWS::IAM::Policy')).filter((p) =>
        JSON.stringify(p.Properties.Roles).includes(logicalId(role)),
      );
      return JSON.stringify(policies);
    };
    const exceptionTable = logicalId(s.stack.resources.exceptionTable as IConstruct);
    const workflowTable = logicalId(s.stack.resources.workflowTable as IConstruct);
    for (const name of ['insights', 'triageRetrain'] as const) {
      const policy = actionsOf(name);
      expect(policy).toContain(exceptionTable);
      expect(policy).not.toContain(workflowTable);
      expect(policy).not.toContain('sqs:');
      expect(policy).not.toContain('events:PutEvents');
    }
    const insights = actionsOf('payerInsights');
    expect(insights).toContain(workflowTable);
    expect(insights).toContain('events:PutEvents');
    expect(insights).not.toContain('sqs:');
  });
});
