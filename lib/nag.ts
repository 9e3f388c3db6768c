/**
 * cdk-nag v3 runs as a CDK policy-validation plugin; findings are acknowledged with CDK's own
 * `Validations.of(construct).acknowledge(...)`, which covers the construct and everything below it.
 * This helper keeps every acknowledgment beside the resource it concerns and refuses vague ones.
 */
import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export interface Acknowledgment {
  /** Rule id, with the finding for rules that report several (`AwsSolutions-IAM5[Action::kms:GenerateDataKey*]`). */
  id: string;
  /** Why the finding does not apply or is accepted; at least 10 characters. */
  reason: string;
}

const MIN_REASON_LENGTH = 10;
/** Rules whose findings must be acknowledged one by one (IAM wildcards), never wholesale. */
const RULES_NEEDING_FINDING = /^(AwsSolutions-IAM5|AwsSolutions-IAM4)$/;

export function acknowledge(scope: IConstruct, ...acks: Acknowledgment[]): void {
  for (const ack of acks) {
    if (ack.reason.trim().length < MIN_REASON_LENGTH) {
      throw new Error(`cdk-nag acknowledgment ${ack.id} at ${scope.node.path} needs a specific reason`);
    }
    if (RULES_NEEDING_FINDING.test(ack.id)) {
      throw new Error(
        `cdk-nag acknowledgment ${ack.id} at ${scope.node.path} must name the finding, e.g. ${ack.id}[Resource::*]`,
      );
    }
    Validations.of(scope).acknowledge({ id: ack.id, reason: ack.reason });
  }
}
