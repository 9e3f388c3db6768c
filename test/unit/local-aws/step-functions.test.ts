import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidDefinition,
  InvalidName,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineAlreadyExists,
  StateMachineDoesNotExist,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LocalAws, type StartLocalAwsOptions, startLocalAws } from '../../../local/aws/server.js';
import type { ExecutionRecord } from '../../../local/aws/step-functions.js';
import { credentials } from './helpers.js';

const FN = 'arn:aws:lambda:us-east-1:000000000000:function:rcm-odoo-writer';
const OTHER_FN = 'arn:aws:lambda:us-east-1:000000000000:function:rcm-fallback';
const ROLE = 'arn:aws:iam::000000000000:role/sfn';

let aws: LocalAws;
let sfn: SFNClient;

async function start(opts: StartLocalAwsOptions = { stepFunctions: { intervalScale: 0 } }) {
  aws = await startLocalAws({ port: 0, ...opts });
  sfn = new SFNClient({ endpoint: aws.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
}
beforeEach(async () => {
  await start();
});
afterEach(async () => {
  sfn.destroy();
  await aws.close();
});

async function create(name: string, definition: object): Promise<string> {
  const out = await sfn.send(
    new CreateStateMachineCommand({ name, definition: JSON.stringify(definition), roleArn: ROLE }),
  );
  return out.stateMachineArn as string;
}

/** Starts an execution over the wire and returns DescribeExecution once it has finished. */
async function run(
  stateMachineArn: string,
  input: unknown,
  name?: string,
): Promise<DescribeExecutionCommandOutput> {
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input), name }),
  );
  await aws.stepFunctions.waitForIdle();
  return sfn.send(new DescribeExecutionCommand({ executionArn }));
}

const out = (d: DescribeExecutionCommandOutput) => JSON.parse(d.output as string);

function errorNamed(name: string, message = name): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => {
    open = r;
  });
  return { open, opened };
}

describe('local Step Functions over the real SDK', () => {
  it('creates, describes and runs a Task bound by Lambda ARN', async () => {
    const calls: unknown[] = [];
    aws.stepFunctions.bindFunction(FN, async (payload) => {
      calls.push(payload);
      return { written: (payload as { claimId: string }).claimId, at: new Date(0) };
    });
    const def = {
      StartAt: 'Write',
      States: { Write: { Type: 'Task', Resource: FN, ResultPath: '$.result', End: true } },
    };
    const arn = await create('claims', def);
    expect(arn).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:claims');
    const d = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
    expect(d).toMatchObject({ name: 'claims', status: 'ACTIVE', type: 'STANDARD', roleArn: ROLE });
    expect(JSON.parse(d.definition as string)).toEqual(def);
    expect(d.creationDate).toBeInstanceOf(Date);

    const e = await run(arn, { claimId: 'C1' }, 'first');
    expect(e.status).toBe('SUCCEEDED');
    expect(e.executionArn).toBe('arn:aws:states:us-east-1:000000000000:execution:claims:first');
    expect(e.startDate).toBeInstanceOf(Date);
    expect(e.stopDate).toBeInstanceOf(Date);
    expect(e.input).toBe('{"claimId":"C1"}');
    // The result went through JSON, as through Lambda (the Date became a string).
    expect(out(e)).toEqual({ claimId: 'C1', result: { written: 'C1', at: '1970-01-01T00:00:00.000Z' } });
    expect(calls).toEqual([{ claimId: 'C1' }]);

    // Same name/definition/role again is idempotent; a different definition is StateMachineAlreadyExists.
    expect(await create('claims', def)).toBe(arn);
    await expect(create('claims', { ...def, Comment: 'changed' })).rejects.toBeInstanceOf(
      StateMachineAlreadyExists,
    );
    // The programmatic API returns the same ARN shape.
    expect(aws.stepFunctions.createStateMachine('prog', def)).toBe(
      'arn:aws:states:us-east-1:000000000000:stateMachine:prog',
    );
  });

  it('runs an inline Map with MaxConcurrency, binding the nested Task by ARN', async () => {
    let active = 0;
    let peak = 0;
    aws.stepFunctions.bindFunction(FN, async (payload) => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 15));
      active--;
      return { id: (payload as { id: number }).id, ok: true };
    });
    const arn = await create('map', {
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          ItemsPath: '$.items',
          MaxConcurrency: 2,
          ItemSelector: { 'id.$': '$$.Map.Item.Value', 'tenant.$': '$.tenant' },
          ItemProcessor: {
            ProcessorConfig: { Mode: 'INLINE' },
            StartAt: 'Write',
            States: { Write: { Type: 'Task', Resource: FN, End: true } },
          },
          ResultPath: '$.results',
          End: true,
        },
      },
    });
    const e = await run(arn, { tenant: 't1', items: [1, 2, 3, 4, 5] });
    expect(e.status).toBe('SUCCEEDED');
    expect(out(e).results).toEqual([1, 2, 3, 4, 5].map((id) => ({ id, ok: true })));
    expect(peak).toBe(2);
  });

  it('runs a Choice loop until the counter reaches the limit', async () => {
    aws.stepFunctions.bindFunction(FN, (p) => ({
      ...(p as object),
      count: (p as { count: number }).count + 1,
    }));
    const arn = await create('loop', {
      StartAt: 'Init',
      States: {
        Init: { Type: 'Pass', Result: { count: 0, pause: 3600 }, Next: 'Increment' },
        Increment: { Type: 'Task', Resource: FN, Next: 'Pause' },
        // Real waits (an hour each) are skipped with intervalScale 0, fixed and path-based alike.
        Pause: { Type: 'Wait', Seconds: 3600, Next: 'PauseByPath' },
        PauseByPath: { Type: 'Wait', SecondsPath: '$.pause', Next: 'Done?' },
        'Done?': {
          Type: 'Choice',
          Choices: [{ Variable: '$.count', NumericLessThan: 3, Next: 'Increment' }],
          Default: 'Done',
        },
        Done: { Type: 'Succeed' },
      },
    });
    const e = await run(arn, {});
    expect(e.status).toBe('SUCCEEDED');
    expect(out(e)).toEqual({ count: 3, pause: 3600 });
  });

  it('the SDK reaches the stand-in through AWS_ENDPOINT_URL_SFN (localAwsEnv), no endpoint in code', async () => {
    expect(aws.env.AWS_ENDPOINT_URL_SFN).toBe(aws.endpoint);
    const saved = { ...process.env };
    Object.assign(process.env, aws.env);
    delete process.env.AWS_ENDPOINT_URL;
    try {
      const client = new SFNClient({ maxAttempts: 1 });
      const arn = aws.stepFunctions.createStateMachine('env', {
        StartAt: 'A',
        States: { A: { Type: 'Pass', Result: 'hi', End: true } },
      });
      const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: arn }));
      await aws.stepFunctions.waitForIdle();
      const d = await client.send(new DescribeExecutionCommand({ executionArn }));
      expect(d).toMatchObject({ status: 'SUCCEEDED', output: '"hi"' });
      client.destroy();
    } finally {
      for (const k of Object.keys(aws.env)) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });

  it('retries by error name (Error.name = Lambda errorType) and succeeds on the 3rd attempt', async () => {
    let attempts = 0;
    aws.stepFunctions.bindFunction(FN, async () => {
      attempts++;
      if (attempts < 3) throw errorNamed('OdooUnavailable', 'odoo is down');
      return { ok: attempts };
    });
    const arn = await create('retry', {
      StartAt: 'Write',
      States: {
        Write: {
          Type: 'Task',
          Resource: FN,
          Retry: [
            { ErrorEquals: ['SomethingElse'], MaxAttempts: 0 },
            { ErrorEquals: ['OdooUnavailable'], IntervalSeconds: 30, BackoffRate: 2, MaxAttempts: 3 },
          ],
          End: true,
        },
      },
    });
    const started = Date.now();
    const e = await run(arn, {});
    expect(e.status).toBe('SUCCEEDED');
    expect(out(e)).toEqual({ ok: 3 });
    expect(attempts).toBe(3);
    expect(Date.now() - started).toBeLessThan(2000); // 30 s + 60 s of backoff skipped (intervalScale 0)
  });

  it('scales retry intervals with intervalScale (real backoff otherwise)', async () => {
    sfn.destroy();
    await aws.close();
    await start({ stepFunctions: { intervalScale: 0.05 } }); // 1 s -> 50 ms
    let attempts = 0;
    aws.stepFunctions.bindFunction(FN, () => {
      if (++attempts < 2) throw errorNamed('OdooUnavailable');
      return 'ok';
    });
    const arn = await create('scaled', {
      StartAt: 'Write',
      States: {
        Write: {
          Type: 'Task',
          Resource: FN,
          Retry: [{ ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 1 }],
          End: true,
        },
      },
    });
    const started = Date.now();
    const e = await run(arn, {});
    expect(e.status).toBe('SUCCEEDED');
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
  });

  it('routes an uncaught-by-Retry error to a Catch fallback with the Lambda error as Cause', async () => {
    let writes = 0;
    aws.stepFunctions.bindFunction(FN, () => {
      writes++;
      throw errorNamed('ClaimRejected', 'payer rejected claim C9');
    });
    aws.stepFunctions.bindFunction(OTHER_FN, (p) => ({ parked: (p as { claimId: string }).claimId }));
    const arn = await create('catch', {
      StartAt: 'Write',
      States: {
        Write: {
          Type: 'Task',
          Resource: FN,
          Retry: [{ ErrorEquals: ['OdooUnavailable'], MaxAttempts: 5 }],
          Catch: [
            { ErrorEquals: ['OdooUnavailable'], Next: 'Fail' },
            { ErrorEquals: ['ClaimRejected'], ResultPath: '$.error', Next: 'Fallback' },
          ],
          End: true,
        },
        Fallback: { Type: 'Task', Resource: OTHER_FN, ResultPath: '$.fallback', End: true },
        Fail: { Type: 'Fail', Error: 'Unexpected' },
      },
    });
    const e = await run(arn, { claimId: 'C9' });
    expect(e.status).toBe('SUCCEEDED');
    expect(writes).toBe(1); // ClaimRejected is not retried
    const o = out(e);
    expect(o.fallback).toEqual({ parked: 'C9' });
    expect(o.error.Error).toBe('ClaimRejected');
    expect(JSON.parse(o.error.Cause)).toMatchObject({
      errorType: 'ClaimRejected',
      errorMessage: 'payer rejected claim C9',
    });
  });

  it('lambda:invoke (optimized integration) passes Parameters.Payload and wraps the result', async () => {
    const seen: unknown[] = [];
    aws.stepFunctions.bindFunction(FN, (p) => {
      seen.push(p);
      return { total: 42 };
    });
    const arn = await create('invoke', {
      StartAt: 'Invoke',
      States: {
        Invoke: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: `${FN}:$LATEST`, 'Payload.$': '$.claim' },
          ResultPath: '$.invoke',
          Next: 'ByName',
        },
        ByName: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: 'rcm-odoo-writer', Payload: { fixed: true } },
          OutputPath: '$.Payload',
          End: true,
        },
      },
    });
    const e = await run(arn, { claim: { id: 'C2' } });
    expect(e.status).toBe('SUCCEEDED');
    expect(seen).toEqual([{ id: 'C2' }, { fixed: true }]);
    expect(out(e)).toEqual({ total: 42 });

    // The wrapped shape, before OutputPath.
    const arn2 = await create('invoke2', {
      StartAt: 'Invoke',
      States: {
        Invoke: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: FN, 'Payload.$': '$' },
          End: true,
        },
      },
    });
    const e2 = await run(arn2, { a: 1 });
    expect(out(e2)).toEqual({ ExecutedVersion: '$LATEST', Payload: { total: 42 }, StatusCode: 200 });
  });

  it('binds Task states in Parallel branches by ARN; state names must be unique machine-wide', async () => {
    aws.stepFunctions.bindFunction(FN, () => 'writer');
    aws.stepFunctions.bindFunction(OTHER_FN, () => 'fallback');
    const branches = (a: string, b: string) => [
      { StartAt: a, States: { [a]: { Type: 'Task', Resource: FN, End: true } } },
      { StartAt: b, States: { [b]: { Type: 'Task', Resource: OTHER_FN, End: true } } },
    ];
    const def = (a: string, b: string) => ({
      StartAt: 'Both',
      States: { Both: { Type: 'Parallel', Branches: branches(a, b), End: true } },
    });
    const e = await run(await create('parallel', def('CallWriter', 'CallFallback')), {});
    expect(out(e)).toEqual(['writer', 'fallback']);
    // As in AWS, the same state name in two branches is an invalid definition.
    await expect(create('parallel-dup', def('Call', 'Call'))).rejects.toBeInstanceOf(InvalidDefinition);
  });

  it('StartExecution is idempotent for the same name + input while running; otherwise ExecutionAlreadyExists', async () => {
    const g = gate();
    aws.stepFunctions.bindFunction(FN, async () => {
      await g.opened;
      return 'done';
    });
    const arn = await create('idem', {
      StartAt: 'Write',
      States: { Write: { Type: 'Task', Resource: FN, End: true } },
    });
    const input = JSON.stringify({ claimId: 'C1' });
    const first = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: arn, name: 'claim-C1', input }),
    );
    const again = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: arn, name: 'claim-C1', input }),
    );
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate?.getTime()).toBe(first.startDate?.getTime());
    await expect(
      sfn.send(
        new StartExecutionCommand({ stateMachineArn: arn, name: 'claim-C1', input: '{"claimId":"C2"}' }),
      ),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    const running = await sfn.send(new DescribeExecutionCommand({ executionArn: first.executionArn }));
    expect(running.status).toBe('RUNNING');
    expect(running.stopDate).toBeUndefined();

    g.open();
    await aws.stepFunctions.waitForIdle();
    // Closed: the name cannot be reused, even with the same input.
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'claim-C1', input })),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    expect(aws.stepFunctions.executions(arn)).toHaveLength(1);

    // Without a name, every call is a new execution (uuid names).
    const a = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn }));
    const b = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn }));
    expect(a.executionArn).not.toBe(b.executionArn);
    expect(a.executionArn).toMatch(/:execution:idem:[0-9a-f-]{36}$/);
    await aws.stepFunctions.waitForIdle();
  });

  it('DescribeExecution of a failed execution carries error and cause (function error and Fail state)', async () => {
    aws.stepFunctions.bindFunction(FN, () => {
      throw errorNamed('OdooUnavailable', 'connection refused');
    });
    const arn = await create('fails', {
      StartAt: 'Write',
      States: { Write: { Type: 'Task', Resource: FN, End: true } },
    });
    const e = await run(arn, {});
    expect(e.status).toBe('FAILED');
    expect(e.error).toBe('OdooUnavailable');
    expect(JSON.parse(e.cause as string)).toMatchObject({
      errorType: 'OdooUnavailable',
      errorMessage: 'connection refused',
    });
    expect(e.output).toBeUndefined();

    const failArn = await create('fail-state', {
      StartAt: 'Check',
      States: {
        Check: {
          Type: 'Choice',
          Choices: [{ Variable: '$.ok', BooleanEquals: true, Next: 'Ok' }],
          Default: 'Reject',
        },
        Ok: { Type: 'Succeed' },
        Reject: { Type: 'Fail', Error: 'ClaimInvalid', Cause: 'missing payer' },
      },
    });
    const f = await run(failArn, { ok: false });
    expect(f).toMatchObject({ status: 'FAILED', error: 'ClaimInvalid', cause: 'missing payer' });

    // An unbound Lambda ARN fails the task like a missing function would.
    const unbound = await create('unbound', {
      StartAt: 'Write',
      States: { Write: { Type: 'Task', Resource: OTHER_FN, End: true } },
    });
    const u = await run(unbound, {});
    expect(u).toMatchObject({ status: 'FAILED', error: 'Lambda.ResourceNotFoundException' });
  });

  it('ListExecutions filters by status and paginates newest first; StopExecution aborts', async () => {
    const g = gate();
    aws.stepFunctions.bindFunction(FN, async (p) => {
      const mode = (p as { mode: string }).mode;
      if (mode === 'fail') throw errorNamed('Boom');
      if (mode === 'hang') await g.opened;
      return mode;
    });
    const finished: ExecutionRecord[] = [];
    const off = aws.stepFunctions.onExecutionFinished((r) => finished.push(r));
    const arn = await create('list', {
      StartAt: 'Write',
      States: { Write: { Type: 'Task', Resource: FN, End: true } },
    });
    for (const [name, mode] of [
      ['s1', 'ok'],
      ['f1', 'fail'],
      ['s2', 'ok'],
      ['f2', 'fail'],
    ]) {
      await run(arn, { mode }, name);
    }
    const hang = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: arn, name: 'h1', input: '{"mode":"hang"}' }),
    );

    const failed = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'FAILED' }),
    );
    expect(failed.executions?.map((x) => x.name)).toEqual(['f2', 'f1']);
    expect(failed.executions?.[0]).toMatchObject({ status: 'FAILED', stateMachineArn: arn });
    expect(failed.executions?.[0]?.stopDate).toBeInstanceOf(Date);

    const running = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'RUNNING' }),
    );
    expect(running.executions?.map((x) => x.name)).toEqual(['h1']);

    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(
        new ListExecutionsCommand({ stateMachineArn: arn, maxResults: 2, nextToken }),
      );
      expect(page.executions?.length).toBeLessThanOrEqual(2);
      names.push(...(page.executions ?? []).map((x) => x.name as string));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(names).toEqual(['h1', 'f2', 's2', 'f1', 's1']);

    await sfn.send(
      new StopExecutionCommand({ executionArn: hang.executionArn, error: 'Operator', cause: 'cancelled' }),
    );
    const stopped = await sfn.send(new DescribeExecutionCommand({ executionArn: hang.executionArn }));
    expect(stopped).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'cancelled' });
    g.open();
    await aws.stepFunctions.waitForIdle();
    // Aborted stays aborted even though the bound function completed afterwards.
    expect(aws.stepFunctions.execution(hang.executionArn as string)?.status).toBe('ABORTED');
    expect(finished.map((r) => [r.name, r.status])).toEqual([
      ['s1', 'SUCCEEDED'],
      ['f1', 'FAILED'],
      ['s2', 'SUCCEEDED'],
      ['f2', 'FAILED'],
      ['h1', 'ABORTED'],
    ]);
    off();
  });

  it('close() aborts running executions', async () => {
    aws.stepFunctions.bindFunction(FN, () => new Promise(() => {}));
    const arn = await create('forever', {
      StartAt: 'Write',
      States: { Write: { Type: 'Task', Resource: FN, End: true } },
    });
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn }));
    const sf = aws.stepFunctions;
    await aws.close();
    expect(sf.execution(executionArn as string)?.status).toBe('ABORTED');
  });

  it('rejects invalid definitions, names, unknown ARNs and bad input with AWS error types', async () => {
    await expect(
      create('bad', { StartAt: 'Nope', States: { A: { Type: 'Pass', End: true } } }),
    ).rejects.toSatisfy((e: unknown) => e instanceof InvalidDefinition && /invalid/i.test(e.message));
    await expect(
      sfn.send(new CreateStateMachineCommand({ name: 'bad', definition: '{not json', roleArn: ROLE })),
    ).rejects.toBeInstanceOf(InvalidDefinition);
    await expect(
      create('bad', { StartAt: 'T', States: { T: { Type: 'Task', Resource: 'not-an-arn', End: true } } }),
    ).rejects.toBeInstanceOf(InvalidDefinition);
    await expect(create('bad', { States: 'nope' })).rejects.toBeInstanceOf(InvalidDefinition);
    await expect(
      create('bad', { QueryLanguage: 'JSONata', StartAt: 'A', States: { A: { Type: 'Pass', End: true } } }),
    ).rejects.toBeInstanceOf(InvalidDefinition);
    await expect(
      create('has space', { StartAt: 'A', States: { A: { Type: 'Pass', End: true } } }),
    ).rejects.toBeInstanceOf(InvalidName);
    const missing = 'arn:aws:states:us-east-1:000000000000:stateMachine:missing';
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: missing }))).rejects.toBeInstanceOf(
      StateMachineDoesNotExist,
    );
    await expect(
      sfn.send(new DescribeStateMachineCommand({ stateMachineArn: missing })),
    ).rejects.toBeInstanceOf(StateMachineDoesNotExist);
    await expect(
      sfn.send(
        new DescribeExecutionCommand({
          executionArn: 'arn:aws:states:us-east-1:000000000000:execution:missing:x',
        }),
      ),
    ).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    const arn = await create('ok', { StartAt: 'A', States: { A: { Type: 'Pass', End: true } } });
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{nope' })),
    ).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'a/b' })),
    ).rejects.toBeInstanceOf(InvalidName);
  });
});
