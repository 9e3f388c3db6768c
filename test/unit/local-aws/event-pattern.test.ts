import { describe, expect, it } from 'vitest';
import {
  type EventPattern,
  matchesEventPattern,
  validateEventPattern,
} from '../../../local/aws/event-pattern.js';

const envelope = (detail: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  version: '0',
  id: 'id-1',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-10-02T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail,
  ...extra,
});

type Case = [name: string, pattern: EventPattern, event: unknown, expected: boolean];

const cases: Case[] = [
  // exact / multiple values / AND across fields
  ['exact source', { source: ['aws.ec2'] }, envelope({}), true],
  ['exact source, other value', { source: ['aws.s3'] }, envelope({}), false],
  ['any of listed values', { source: ['aws.s3', 'aws.ec2'] }, envelope({}), true],
  [
    'AND of fields',
    { source: ['aws.ec2'], detail: { state: ['running'] } },
    envelope({ state: 'running' }),
    true,
  ],
  [
    'AND fails on one field',
    { source: ['aws.ec2'], detail: { state: ['running'] } },
    envelope({ state: 'stopped' }),
    false,
  ],
  ['nested objects', { detail: { a: { b: ['x'] } } }, envelope({ a: { b: 'x' } }), true],
  ['missing field does not match', { detail: { missing: ['x'] } }, envelope({}), false],
  ['number exact', { detail: { n: [5] } }, envelope({ n: 5.0 }), true],
  ['number vs string differ', { detail: { n: [5] } }, envelope({ n: '5' }), false],
  ['boolean', { detail: { ok: [true] } }, envelope({ ok: true }), true],
  ['null matches null', { detail: { v: [null] } }, envelope({ v: null }), true],
  ['null does not match missing', { detail: { v: [null] } }, envelope({}), false],
  ['empty string', { detail: { LastName: [''] } }, envelope({ LastName: '' }), true],
  ['case sensitive by default', { detail: { Name: ['Alice'] } }, envelope({ Name: 'alice' }), false],
  // arrays in the event
  [
    'event array: any element',
    { resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'] },
    envelope({}),
    true,
  ],
  ['event array of values', { detail: { tags: ['b'] } }, envelope({ tags: ['a', 'b'] }), true],
  ['event array, no element', { detail: { tags: ['c'] } }, envelope({ tags: ['a', 'b'] }), false],
  [
    'array of objects: fields must match within one element',
    { detail: { items: { k: ['1'], v: ['2'] } } },
    envelope({
      items: [
        { k: '1', v: '9' },
        { k: '9', v: '2' },
      ],
    }),
    false,
  ],
  [
    'array of objects: element match',
    { detail: { items: { k: ['1'] } } },
    envelope({ items: [{ k: '0' }, { k: '1' }] }),
    true,
  ],
  // prefix / suffix / equals-ignore-case / wildcard
  ['prefix', { time: [{ prefix: '2017-10-02' }] }, envelope({}), true],
  ['prefix miss', { time: [{ prefix: '2018' }] }, envelope({}), false],
  [
    'prefix ignore case',
    { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
    envelope({ service: 'eventbridge' }),
    true,
  ],
  ['suffix', { detail: { FileName: [{ suffix: '.png' }] } }, envelope({ FileName: 'image.png' }), true],
  ['suffix miss', { detail: { FileName: [{ suffix: '.png' }] } }, envelope({ FileName: 'image.PNG' }), false],
  [
    'suffix ignore case',
    { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
    envelope({ FileName: 'image.PNG' }),
    true,
  ],
  [
    'equals-ignore-case',
    { detail: { name: [{ 'equals-ignore-case': 'alice' }] } },
    envelope({ name: 'ALICE' }),
    true,
  ],
  ['prefix on number never matches', { detail: { n: [{ prefix: '1' }] } }, envelope({ n: 12 }), false],
  [
    'wildcard',
    { detail: { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] } },
    envelope({ EventBusArn: 'arn:aws:events:us-east-1:123:event-bus/default' }),
    true,
  ],
  [
    'wildcard miss',
    { detail: { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] } },
    envelope({ EventBusArn: 'arn:aws:events:us-west-2:123:event-bus/default' }),
    false,
  ],
  ['wildcard escaped star', { detail: { p: [{ wildcard: 'a\\*b' }] } }, envelope({ p: 'a*b' }), true],
  [
    'wildcard escaped star literal only',
    { detail: { p: [{ wildcard: 'a\\*b' }] } },
    envelope({ p: 'axb' }),
    false,
  ],
  [
    'wildcard with regex chars',
    { detail: { p: [{ wildcard: 'dir/*.txt' }] } },
    envelope({ p: 'dir/a(1).txt' }),
    true,
  ],
  // anything-but
  [
    'anything-but string',
    { detail: { state: [{ 'anything-but': 'initializing' }] } },
    envelope({ state: 'running' }),
    true,
  ],
  [
    'anything-but string excluded',
    { detail: { state: [{ 'anything-but': 'initializing' }] } },
    envelope({ state: 'initializing' }),
    false,
  ],
  [
    'anything-but number',
    { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
    envelope({ 'x-limit': 456 }),
    true,
  ],
  [
    'anything-but number excluded',
    { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
    envelope({ 'x-limit': 123 }),
    false,
  ],
  [
    'anything-but list',
    { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
    envelope({ state: 'stopped' }),
    false,
  ],
  [
    'anything-but list other',
    { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
    envelope({ state: 'ok' }),
    true,
  ],
  ['anything-but needs the field', { detail: { state: [{ 'anything-but': 'x' }] } }, envelope({}), false],
  [
    'anything-but prefix',
    { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
    envelope({ state: 'initializing' }),
    false,
  ],
  [
    'anything-but prefix other',
    { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
    envelope({ state: 'running' }),
    true,
  ],
  [
    'anything-but suffix',
    { detail: { FileName: [{ 'anything-but': { suffix: '.txt' } }] } },
    envelope({ FileName: 'a.txt' }),
    false,
  ],
  [
    'anything-but ignore case',
    { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'Overloaded'] } }] } },
    envelope({ state: 'STOPPED' }),
    false,
  ],
  [
    'anything-but wildcard',
    { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } },
    envelope({ FilePath: '/usr/lib/x' }),
    false,
  ],
  [
    'anything-but wildcard other',
    { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } },
    envelope({ FilePath: '/usr/bin/x' }),
    true,
  ],
  // numeric
  [
    'numeric range',
    { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } },
    envelope({ 'c-count': 5 }),
    true,
  ],
  [
    'numeric range upper',
    { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } },
    envelope({ 'c-count': 5.01 }),
    false,
  ],
  [
    'numeric range lower',
    { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } },
    envelope({ 'c-count': 0 }),
    false,
  ],
  ['numeric =', { detail: { n: [{ numeric: ['=', 3.018e2] }] } }, envelope({ n: 301.8 }), true],
  ['numeric < only', { detail: { n: [{ numeric: ['<', 10] }] } }, envelope({ n: -3 }), true],
  [
    'numeric on string never matches',
    { detail: { n: [{ numeric: ['>', 0] }] } },
    envelope({ n: '5' }),
    false,
  ],
  // exists
  ['exists true', { detail: { state: [{ exists: true }] } }, envelope({ state: 'x' }), true],
  ['exists true, missing', { detail: { state: [{ exists: true }] } }, envelope({}), false],
  ['exists false, missing', { detail: { 'c-count': [{ exists: false }] } }, envelope({}), true],
  [
    'exists false, present',
    { detail: { 'c-count': [{ exists: false }] } },
    envelope({ 'c-count': 1 }),
    false,
  ],
  [
    'exists false when detail missing entirely',
    { detail: { x: [{ exists: false }] } },
    { source: 'a' },
    true,
  ],
  [
    'exists only on leaves: object is not a leaf',
    { detail: { obj: [{ exists: true }] } },
    envelope({ obj: { a: 1 } }),
    false,
  ],
  ['exists true for null value', { detail: { v: [{ exists: true }] } }, envelope({ v: null }), true],
  // cidr
  [
    'cidr',
    { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } },
    envelope({ 'source-ip': '10.0.0.255' }),
    true,
  ],
  [
    'cidr miss',
    { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } },
    envelope({ 'source-ip': '10.0.1.1' }),
    false,
  ],
  // $or
  [
    '$or top level',
    { $or: [{ source: ['aws.s3'] }, { detail: { state: ['running'] } }] },
    envelope({ state: 'running' }),
    true,
  ],
  [
    '$or none',
    { $or: [{ source: ['aws.s3'] }, { detail: { state: ['running'] } }] },
    envelope({ state: 'x' }),
    false,
  ],
  [
    '$or nested with AND sibling',
    {
      source: ['aws.ec2'],
      detail: {
        $or: [
          { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
          { 'd-count': [{ numeric: ['<', 10] }] },
          { 'x-limit': [{ 'anything-but': [100, 200, 300] }] },
        ],
      },
    },
    envelope({ 'x-limit': 150 }),
    true,
  ],
  [
    '$or nested, none match',
    {
      source: ['aws.ec2'],
      detail: {
        $or: [
          { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
          { 'x-limit': [{ 'anything-but': [100, 200, 300] }] },
        ],
      },
    },
    envelope({ 'x-limit': 200, 'c-count': 9 }),
    false,
  ],
  // multiple conditions in one array = OR
  ['mixed conditions OR', { detail: { s: ['a', { prefix: 'zz' }] } }, envelope({ s: 'zzz' }), true],
];

describe('matchesEventPattern (EventBridge content filtering)', () => {
  it.each(cases)('%s', (_name, pattern, event, expected) => {
    validateEventPattern(pattern);
    expect(matchesEventPattern(pattern, event)).toBe(expected);
  });
});

const invalid: Array<[string, unknown]> = [
  ['not an object', ['source']],
  ['empty pattern', {}],
  ['leaf not an array', { source: 'aws.ec2' }],
  ['empty array', { source: [] }],
  ['unknown operator', { source: [{ regex: 'a.*' }] }],
  ['two keys in a matcher', { source: [{ prefix: 'a', suffix: 'b' }] }],
  ['numeric with bad operator', { n: [{ numeric: ['!=', 1] }] }],
  ['numeric with odd length', { n: [{ numeric: ['>', 1, '<'] }] }],
  ['numeric inverted range', { n: [{ numeric: ['>', 5, '<', 1] }] }],
  ['numeric two lower bounds', { n: [{ numeric: ['>', 1, '>=', 2] }] }],
  ['numeric out of range', { n: [{ numeric: ['>', 6e9] }] }],
  ['exists not boolean', { n: [{ exists: 'yes' }] }],
  ['anything-but mixed list', { n: [{ 'anything-but': ['a', 1] }] }],
  ['anything-but unsupported inner', { n: [{ 'anything-but': { numeric: ['>', 1] } }] }],
  ['prefix not a string', { n: [{ prefix: 1 }] }],
  ['wildcard consecutive stars', { n: [{ wildcard: 'a**b' }] }],
  ['$or with one member', { $or: [{ source: ['a'] }] }],
  ['$or not array', { $or: { source: ['a'] } }],
  ['nested array value', { n: [['a']] }],
  ['bad cidr', { ip: [{ cidr: '10.0.0.0/40' }] }],
];

describe('validateEventPattern', () => {
  it.each(invalid)('rejects %s', (_name, pattern) => {
    expect(() => validateEventPattern(pattern)).toThrow(/Event pattern is not valid/);
  });
});
