import { describe, expect, it } from 'vitest';
import { AwsMeter, type IndexShape, indexWriteUnits, itemKind } from '../../../local/aws-meter.js';

// DynamoDB's write rules for global secondary indexes (docs/cost.md), on items in the wire format.
const keys = ['pk', 'sk'];
const byState: IndexShape = {
  name: 'byState',
  keys: ['listState', 'stateSince'],
  projection: 'INCLUDE',
  include: ['facilityId'],
};
const all: IndexShape = { ...byState, name: 'all', projection: 'ALL', include: [] };
const item = (state: string, extra: Record<string, unknown> = {}) => ({
  pk: { S: 'ENC#1' },
  sk: { S: 'WORKFLOW' },
  listState: { S: state },
  stateSince: { S: '2026-11-30T00:00:00Z' },
  facilityId: { S: 'FAC-1' },
  ...extra,
});
const big = { S: 'x'.repeat(2800) }; // with the keys about 2.9 KB: 3 write units

describe('the AWS meter counts GSI writes as DynamoDB bills them', () => {
  it('writes nothing to an index when neither its keys nor its projected attributes change', () => {
    expect(
      indexWriteUnits(keys, [byState], item('a', { note: { S: '1' } }), item('a', { note: big })),
    ).toEqual({});
  });

  it('copies every change of any attribute into an ALL index, at the item size', () => {
    expect(indexWriteUnits(keys, [all], item('a', { note: { S: '1' } }), item('a', { note: big }))).toEqual({
      all: 3,
    });
  });

  it('deletes and puts when the index key moves, and leaves a sparse index alone', () => {
    expect(indexWriteUnits(keys, [byState], item('a'), item('b'))).toEqual({ byState: 2 });
    const { listState: _l, stateSince: _s, ...unindexed } = item('a');
    expect(indexWriteUnits(keys, [byState], undefined, unindexed)).toEqual({});
    expect(indexWriteUnits(keys, [byState], undefined, item('a'))).toEqual({ byState: 1 });
  });

  it('bills Lambda per started millisecond and EventBridge entries per 64 KB chunk', () => {
    const meter = new AwsMeter();
    meter.lambdaInvocation('ingest', 10.2, 512);
    meter.putEvents([
      { DetailType: 'A', Detail: 'x'.repeat(70 * 1024) },
      { DetailType: 'B', Detail: '{}' },
    ]);
    const reading = meter.read();
    expect(reading.lambda.ingest).toEqual({ invocations: 1, billedMs: 11, gbSeconds: 0.5 * 0.011 });
    expect(reading.eventBridge.events).toBe(3);
  });

  it('names the kinds of item written over 1 KB, how often and the largest (what makes a write cost 2+ units)', () => {
    const meter = new AwsMeter();
    meter.dynamodbWrite('WorkflowTable', 1, 'ENC/EVT', 805);
    meter.dynamodbWrite('WorkflowTable', 2, 'ENC/WORKFLOW', 1300);
    meter.dynamodbWrite('WorkflowTable', 2, 'ENC/WORKFLOW', 1548);
    meter.dynamodbWrite('WorkflowTable/workflowsByState', 2);
    const reading = meter.read().dynamodb;
    expect(reading.writesOver1Kb).toEqual({
      'WorkflowTable ENC/WORKFLOW': { writes: 2, largestBytes: 1548 },
    });
    expect(reading.writeUnits).toEqual({ WorkflowTable: 5, 'WorkflowTable/workflowsByState': 2 });
  });

  it('adds read units up by table and index, and by kind of item read', () => {
    const meter = new AwsMeter();
    meter.dynamodbRead('WorkflowTable', 1, 'ENC/WORKFLOW');
    meter.dynamodbRead('WorkflowTable', 1, 'ENC/WORKFLOW');
    meter.dynamodbRead('WorkflowTable', 0.5, 'CLAIM/*');
    meter.dynamodbRead('WorkflowTable/workflowsByState', 0.5);
    const reading = meter.read().dynamodb;
    expect(reading.readUnits).toEqual({ WorkflowTable: 2.5, 'WorkflowTable/workflowsByState': 0.5 });
    expect(reading.readUnitsByItem).toEqual({
      'WorkflowTable ENC/WORKFLOW': 2,
      'WorkflowTable CLAIM/*': 0.5,
    });
  });

  it('names an item by its keys before the first #, and keys that start with a time as one kind', () => {
    expect(itemKind({ pk: { S: 'ENC#1' }, sk: { S: 'EVT#2026-11-30T00:00:00Z#e1' } })).toBe('ENC/EVT');
    expect(itemKind({ pk: { S: 'ERAREADY#TRN1' }, sk: { S: '2026-12-04T22:33:37.601Z#e1' } })).toBe(
      'ERAREADY/<time>',
    );
    expect(itemKind({ pk: { S: 'ERALEASE#TRN1' }, sk: { S: 'LEASE' } })).toBe('ERALEASE/LEASE');
    expect(itemKind(undefined)).toBe('/');
  });
});
