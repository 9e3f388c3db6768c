import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { env, type HandlerName, routes, schedules, scopes } from '../../lambdas/wiring.js';
import { loadStage } from '../../lib/config.js';
import { TRIAGE_FUNCTIONS } from '../../lib/rcm-hub-stack.js';
import { cdkContext, type Synthesized, synthStage } from './synth.js';

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

  const environmentOf = (name: HandlerName): Record<string, unknown> => {
    const fn = s.stack.functions.byName[name];
    const resource = s.template.toJSON().Resources[logicalId(fn)];
    return resource.Properties.Environment?.Variables ?? {};
  };

  it("gives every function that triages the stage's payer windows from cdk.json, and no other function", () => {
    const stage = loadStage('dev', cdkContext.stages);
    const expected = JSON.stringify(stage.config.triage.payerWindows);
    expect(JSON.parse(expected).payers['PAYER-ACME-HEALTH']).toEqual({ filingDays: 180, appealDays: 120 });
    for (const name of TRIAGE_FUNCTIONS) expect(environmentOf(name)[env.triagePayerWindows]).toBe(expected);
    for (const name of ['odooWriter', 'exceptions', 'payerInsights', 'slaSweeper'] as const)
      expect(environmentOf(name)[env.triagePayerWindows]).toBeUndefined();
  });

  it.each(['projectExceptions', 'payerInsights'] as const)(
    'lets %s publish alerts to the three team topics (KMS-encrypted); no other function',
    (name) => {
      const topics = environmentOf(name)[env.exceptionAlertTopics];
      const ids = Object.fromEntries(
        Object.entries(s.stack.monitoring.topics).map(([team, topic]) => [team, { Ref: logicalId(topic) }]),
      );
      expect(JSON.stringify(topics)).toBe(
        JSON.stringify({
          'Fn::Join': [
            '',
            [
              '{"finance":"',
              ids.finance,
              '","billing":"',
              ids.billing,
              '","integration":"',
              ids.integration,
              '"}',
            ],
          ],
        }),
      );
      const role = s.stack.functions.byName[name].role as IConstruct;
      const policy = JSON.stringify(
        Object.values(s.template.findResources('AWS::IAM::Policy')).filter((p) =>
          JSON.stringify(p.Properties.Roles).includes(logicalId(role)),
        ),
      );
      expect(policy).toContain('sns:Publish');
      expect(policy).toContain('kms:GenerateDataKey');
      for (const id of Object.values(ids)) expect(policy).toContain(id.Ref);
      for (const other of ['insights', 'exceptions', 'slaSweeper', 'odooWriter'] as const)
        expect(environmentOf(other)[env.exceptionAlertTopics]).toBeUndefined();
    },
  );

  it('has no Bedrock permission or summariser model unless the stage names one (off by default)', () => {
    expect(JSON.stringify(s.template.findResources('AWS::IAM::Policy'))).not.toContain('bedrock:');
    expect(environmentOf('insights')[env.triageSummaryModelId]).toBeUndefined();
  });

  it('with a summariser model configured, only the insights function may invoke that one model', () => {
    const stages = cdkContext.stages as Record<string, Record<string, unknown>>;
    const dev = stages.dev as { triage: Record<string, unknown> };
    const modelId = 'anthropic.claude-3-haiku-20240307-v1:0';
    const withModel = synthStage('dev', {
      context: { stages: { ...stages, dev: { ...dev, triage: { ...dev.triage, summaryModelId: modelId } } } },
    });
    const insights = withModel.stack.functions.byName.insights;
    const resources = withModel.template.toJSON().Resources;
    expect(resources[logicalId(insights)].Properties.Environment.Variables[env.triageSummaryModelId]).toBe(
      modelId,
    );
    const policies = Object.values(withModel.template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p).includes('bedrock:'),
    );
    expect(policies).toHaveLength(1);
    expect(JSON.stringify(policies[0]?.Properties.Roles)).toContain(logicalId(insights.role as IConstruct));
    const statement = (
      policies[0]?.Properties.PolicyDocument.Statement as Array<{ Action: unknown; Resource: unknown }>
    ).find((st) => JSON.stringify(st.Action).includes('bedrock:'));
    expect(statement?.Action).toBe('bedrock:InvokeModel');
    expect(JSON.stringify(statement?.Resource)).toContain(`:bedrock:`);
    expect(JSON.stringify(statement?.Resource)).toContain(`::foundation-model/${modelId}`);
  });
});
