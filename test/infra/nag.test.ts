/**
 * cdk-nag: AwsSolutions and HIPAA.Security report no unacknowledged error for either stage, and every
 * acknowledgment is specific, reasoned, and still needed (it matches a finding the packs really raise).
 *
 * cdk-nag v3 is a CDK policy-validation plugin, not an Aspect: findings are not Annotations but violations
 * returned by `validateScope`, and acknowledgments are `Validations.of(c).acknowledge()` metadata.
 */
import { Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, HIPAASecurityChecks, type NagPack } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Synthesized, synthStage } from './synth.js';

interface Violation {
  ruleName: string;
  severity: string;
  violatingResources: { constructPath?: string }[];
}

function packs(): NagPack[] {
  return [
    new AwsSolutionsChecks(undefined, { verbose: true }),
    new HIPAASecurityChecks(undefined, { verbose: true }),
  ];
}

function violations(scope: IConstruct, ignoreAcknowledgments = false): Violation[] {
  return packs().flatMap((pack) => {
    if (ignoreAcknowledgments) {
      // Private in the typings; replacing it shows the raw findings, before acknowledgments.
      (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
    }
    return pack.validateScope(scope).violations as Violation[];
  });
}

interface Ack {
  path: string;
  id: string;
  reason: string;
}

function acknowledgments(scope: IConstruct): Ack[] {
  return scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([qualifiedId, reason]) => ({
          path: construct.node.path,
          id: qualifiedId.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

describe.each(['dev', 'prod'])('cdk-nag on the %s stack', (stage) => {
  let synthesized: Synthesized;

  beforeAll(() => {
    synthesized = synthStage(stage);
  });

  it('has no unacknowledged AwsSolutions or HIPAA.Security error', () => {
    // Act
    const errors = violations(synthesized.stack).filter((v) => v.severity === 'error');

    // Assess
    expect(
      errors.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`),
    ).toEqual([]);
    // Nothing reaches the v2 annotation channel either.
    const annotations = Annotations.fromStack(synthesized.stack);
    expect(annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
    expect(annotations.findError('*', Match.stringLikeRegexp('HIPAA.Security-.*'))).toEqual([]);
  });

  it('gives every acknowledgment a specific reason, and names the finding for IAM wildcards', () => {
    // Act
    const acks = acknowledgments(synthesized.stack);

    // Assess
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.reason.trim().length, `${ack.id} at ${ack.path}`).toBeGreaterThanOrEqual(10);
      if (/^AwsSolutions-IAM[45]/.test(ack.id))
        expect(ack.id, ack.path).toMatch(/^AwsSolutions-IAM[45]\[.+\]$/);
    }
    // Acknowledged beside the resource, never for the whole stack or app.
    expect(acks.filter((ack) => ack.path === synthesized.stack.node.path || ack.path === '')).toEqual([]);
  });

  it('acknowledges only findings the packs really raise (no stale acknowledgment)', () => {
    // Prepare
    const raw = violations(synthesized.stack, true);

    // Act
    const stale = acknowledgments(synthesized.stack).filter(
      (ack) =>
        !raw.some(
          (v) =>
            v.ruleName === ack.id &&
            v.violatingResources.some(
              (r) => r.constructPath === ack.path || r.constructPath?.startsWith(`${ack.path}/`),
            ),
        ),
    );

    // Assess
    expect(stale.map((ack) => `${ack.id} at ${ack.path}`)).toEqual([]);
  });
});
