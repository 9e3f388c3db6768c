import { RemovalPolicy } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { type Resource, type TableSpec, tables } from '../lambdas/wiring.js';
import { acknowledge } from './nag.js';

export type TableName = keyof typeof tables;

/** Which wiring.ts `Resource` each table is (declared with the table in wiring.ts), for the functions that use it. */
export const tableResource = Object.fromEntries(
  (Object.entries(tables) as [TableName, TableSpec][]).map(([name, spec]) => [spec.resource, name]),
) as Partial<Record<Resource, TableName>>;

export function tableFor(resource: Resource): TableName {
  const name = tableResource[resource];
  if (!name) throw new Error(`No table in wiring.ts tables provides resource ${resource}`);
  return name;
}

export interface DataProps {
  key: kms.IKey;
  removalPolicy: RemovalPolicy;
}

const attribute = (name: string): dynamodb.Attribute => ({ name, type: dynamodb.AttributeType.STRING });

/** Actions that change or remove an item: denied to every principal on an append-only table (the audit). */
export const ITEM_CHANGING_ACTIONS = [
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
] as const;

/**
 * The audit table's resource policy (docs/security.md#audit): whoever holds an identity grant, nobody updates
 * or deletes a line. (PutItem stays: the functions add lines with `attribute_not_exists(seq)`; a line rewritten
 * by a role that skipped the condition breaks the hash chain, which the verification finds.)
 */
function appendOnlyPolicy(): iam.PolicyDocument {
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        sid: 'AppendOnly',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: [...ITEM_CHANGING_ACTIONS],
        resources: ['*'],
      }),
    ],
  });
}

/**
 * The hub's state, one DynamoDB table per entry of `tables` in wiring.ts (key schema, TTL, indexes shared with
 * the local runtime): the encounter workflow and Powertools' idempotency records.
 * HIPAA: both hold PHI (request payloads, stored API answers), so every table is encrypted with the stage CMK
 * and has point-in-time recovery (35 days) on; in a retained stage they are deletion-protected as well.
 */
export class Data extends Construct {
  readonly tables: Record<TableName, dynamodb.Table>;
  /** Present in retained stages only (see below). */
  readonly backupPlan?: backup.BackupPlan;

  constructor(scope: Construct, id: string, props: DataProps) {
    super(scope, id);
    const retained = props.removalPolicy === RemovalPolicy.RETAIN;

    this.tables = Object.fromEntries(
      (Object.entries(tables) as [TableName, TableSpec][]).map(([name, spec]) => {
        const table = new dynamodb.Table(this, name, {
          partitionKey: attribute(spec.partitionKey),
          sortKey: spec.sortKey ? attribute(spec.sortKey) : undefined,
          timeToLiveAttribute: spec.ttlAttribute,
          billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
          pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
          encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
          encryptionKey: props.key,
          deletionProtection: retained,
          removalPolicy: props.removalPolicy,
          ...(spec.appendOnly ? { resourcePolicy: appendOnlyPolicy() } : {}),
        });
        for (const index of spec.globalSecondaryIndexes ?? []) {
          table.addGlobalSecondaryIndex({
            indexName: index.indexName,
            partitionKey: attribute(index.partitionKey),
            sortKey: index.sortKey ? attribute(index.sortKey) : undefined,
            // As declared in wiring.ts (the local tables are built from the same spec).
            projectionType: dynamodb.ProjectionType[index.projection?.type ?? 'ALL'],
            ...(index.projection?.type === 'INCLUDE'
              ? { nonKeyAttributes: [...index.projection.attributes] }
              : {}),
          });
        }
        return [name, table];
      }),
    ) as Record<TableName, dynamodb.Table>;

    // HIPAA 164.308(a)(7) contingency plan. Tables whose items expire (a TTL attribute: idempotency records)
    // are working state, not records; the others are backed up in a retained stage, daily (35 days) and monthly
    // (7 years, beyond the 6-year HIPAA documentation retention), into an encrypted vault that outlives the
    // stack. Destroyable stages (dev) hold synthetic data only.
    const durable = (Object.keys(tables) as TableName[]).filter(
      (name) => !(tables[name] as TableSpec).ttlAttribute || (tables[name] as TableSpec).durable === true,
    );
    for (const name of Object.keys(tables) as TableName[]) {
      if (durable.includes(name)) continue;
      acknowledge(this.tables[name], {
        id: 'HIPAA.Security-DynamoDBInBackupPlan',
        reason: `${name} items expire (TTL attribute); they only replay recent API answers and restoring old ones has no value. PITR is on for accidental loss.`,
      });
    }
    if (retained) {
      const vault = new backup.BackupVault(this, 'BackupVault', {
        encryptionKey: props.key,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      this.backupPlan = new backup.BackupPlan(this, 'BackupPlan', {
        backupVault: vault,
        backupPlanRules: [
          backup.BackupPlanRule.daily(vault), // kept 35 days
          backup.BackupPlanRule.monthly7Year(vault),
        ],
      });
      const selection = this.backupPlan.addSelection('Tables', {
        resources: durable.map((name) => backup.BackupResource.fromDynamoDbTable(this.tables[name])),
      });
      acknowledge(selection, {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
        reason:
          'AWS Backup service role policy, the documented way to let AWS Backup snapshot the selected resources (only the durable tables).',
      });
    } else {
      for (const name of durable) {
        acknowledge(this.tables[name], {
          id: 'HIPAA.Security-DynamoDBInBackupPlan',
          reason:
            'This stage is destroyable (removalPolicy destroy) and holds synthetic test data only; PITR (35 days) is on. Retained stages (prod) get an AWS Backup plan.',
        });
      }
    }
  }
}
