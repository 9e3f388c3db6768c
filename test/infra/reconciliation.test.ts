/**
 * Issue #6: the reconciliation state machine CDK deploys is exactly the ASL the local runtime and the
 * integration tests execute (lib/reconciliation-definition.ts), scheduled per stage from cdk.json.
 */
import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { env } from '../../lambdas/wiring.js';
import { type StageConfig, StageConfig as StageConfigSchema } from '../../lib/config.js';
import {
  RECONCILE_FUNCTION_PLACEHOLDER,
  reconciliationDefinition,
} from '../../lib/reconciliation-definition.js';
import { cdkContext, type Synthesized, synthStage } from './synth.js';

const stages = cdkContext.stages as Record<string, unknown>;

describe.each(['dev', 'prod'])('reconciliation in the %s stack', (stage) => {
  let s: Synthesized;
  let config: StageConfig;
  let reconcileId: string;
  let stateMachineId: string;

  beforeAll(() => {
    s = synthStage(stage);
    config = StageConfigSchema.parse(stages[stage]);
    const logical = (c: { node: { defaultChild?: unknown } }) =>
      Stack.of(s.stack).getLogicalId(c.node.defaultChild as CfnElement);
    reconcileId = logical(s.stack.functions.byName.reconcile);
    stateMachineId = logical(s.stack.reconciliation.stateMachine);
  });

  it('deploys the shared ASL definition, its task bound to the reconcile function', () => {
    const [machine] = Object.values(s.template.findResources('AWS::StepFunctions::StateMachine'));
    expect(machine?.Properties.StateMachineType).toBe('STANDARD');
    expect(machine?.Properties.StateMachineName).toBe(`rcm-hub-${stage}-reconciliation`);
    expect(JSON.parse(machine?.Properties.DefinitionString as string)).toEqual(
      reconciliationDefinition({ maxConcurrency: config.reconciliation.maxConcurrency }),
    );
    expect(machine?.Properties.DefinitionSubstitutions).toEqual({
      [RECONCILE_FUNCTION_PLACEHOLDER]: { 'Fn::GetAtt': [reconcileId, 'Arn'] },
    });
  });

  it('keeps execution data out of its encrypted logs, traces, and encrypts with the stage key', () => {
    s.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
      TracingConfiguration: { Enabled: true },
      EncryptionConfiguration: { Type: 'CUSTOMER_MANAGED_KMS_KEY' },
    });
  });

  it('starts daily on the configured schedule with the scheduled-run input', () => {
    s.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: config.reconciliation.schedule,
      Targets: [
        Match.objectLike({
          Arn: { Ref: stateMachineId },
          Input: JSON.stringify({ trigger: 'schedule' }),
          RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 4 }),
        }),
      ],
    });
  });

  it('lets the API start and read runs, and gives the task its lag settings', () => {
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [env.reconciliationStateMachine]: Match.objectLike({
            'Fn::Join': Match.arrayWith([Match.arrayWith([`:stateMachine:rcm-hub-${stage}-reconciliation`])]),
          }),
        }),
      },
    });
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [env.reconciliationLagDays]: String(config.reconciliation.remittanceLagDays),
        }),
      },
    });
    s.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'states:StartExecution', Effect: 'Allow' }),
          Match.objectLike({ Action: 'states:DescribeExecution', Effect: 'Allow' }),
        ]),
      },
    });
  });
});
