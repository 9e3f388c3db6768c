import { randomUUID } from 'node:crypto';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { AwsServiceError } from './errors.js';

/**
 * Local Step Functions: executes Amazon States Language definitions with `aws-local-stepfunctions` and speaks the
 * AWS JSON 1.0 protocol (`AWSStepFunctions.*`) so the unmodified `@aws-sdk/client-sfn` works against it.
 * Task states run in-process code bound by Lambda function ARN (`bindFunction`) or by Task resource
 * (`bindResource`); nothing ever calls real AWS. Executions are kept in memory only.
 */

// aws-local-stepfunctions 3.0.0 declares Node >= 22 and calls `Promise.withResolvers` (ES2024) in every Task state;
// Node 20 lacks it. Installed only if absent, with the spec's semantics: it uses `this` as the constructor
// (NewPromiseCapability(C), so subclasses work and a non-constructor `this` throws a TypeError) and is a
// writable, configurable, non-enumerable property. The library only calls it while running, not at import time.
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    value: function withResolvers<T>(this: PromiseConstructor) {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new this<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
    writable: true,
    enumerable: false,
    configurable: true,
  });
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

/** A snapshot of one execution (what DescribeExecution reports). */
export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  /** The execution input, as the JSON string it was started with. */
  input: string;
  /** JSON string; only when SUCCEEDED. */
  output?: string;
  error?: string;
  cause?: string;
}

/** Local code standing in for a Lambda function: receives the payload, returns the function's result. */
export type BoundFunction = (payload: unknown) => Promise<unknown> | unknown;
/** Local code standing in for any other Task resource: receives the effective input (Parameters applied). */
export type BoundResource = (input: unknown) => Promise<unknown> | unknown;

export interface LocalStepFunctionsOptions {
  accountId: string;
  region: string;
  /**
   * Multiplier for Retry intervals (`IntervalSeconds`, `MaxDelaySeconds`) and Wait `Seconds`. Default 1 (real
   * durations); 0 = never wait (tests). Waits given by `SecondsPath`/`Timestamp`/`TimestampPath` are only
   * affected by 0 (they are then skipped), never scaled.
   */
  intervalScale?: number;
  /** Upper bound (ms, after scaling) for each retry delay and each Wait `Seconds`. Default: none. */
  maxIntervalMs?: number;
  /** Finished executions kept in memory (oldest finished dropped first). Default 10 000. */
  maxFinishedExecutions?: number;
  /** Called (synchronously, errors logged) whenever an execution leaves RUNNING. */
  onExecutionFinished?: (execution: ExecutionRecord) => void;
  logger?: (message: string, extra?: unknown) => void;
  /** Called for every state entered and every retry: what Standard workflows bill as state transitions. */
  onStateTransition?: (stateName: string) => void;
}

type TaskTarget = { kind: 'lambda-invoke' } | { kind: 'resource'; resource: string };

interface StateMachineRecord {
  arn: string;
  name: string;
  definition: string;
  roleArn: string;
  creationDate: Date;
  runtime: StateMachine;
  /** Task state name (unique in the whole machine) -> what it invokes. */
  tasks: Map<string, TaskTarget>;
  /** Wait states whose duration is dynamic; skipped when intervals are scaled to 0. */
  dynamicWaits: string[];
}

interface Execution {
  record: ExecutionRecord;
  abort?: () => void;
}

const LAMBDA_INVOKE = /^arn:[\w-]+:states:::lambda:invoke$/;
const LAMBDA_FUNCTION_ARN =
  /^arn:[\w-]+:lambda:[\w-]+:\d{12}:function:([A-Za-z0-9_-]+)(?::[A-Za-z0-9$_-]+)?$/;
/** Largest delay `setTimeout` honours (2^31-1 ms); longer ones fire after 1 ms, so timeouts are capped to it. */
const MAX_TIMER_SECONDS = 2_147_483;
// Names: 1-80 chars, no whitespace, brackets, wildcards, special or control characters (as the API reference).
const INVALID_NAME_CHARS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;

const sfnError = (code: string, message: string) => new AwsServiceError(code, message);

/** A local failure the state machine must not retry or catch (like AWS `States.Runtime`). */
class LocalRuntimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'States.Runtime';
  }
  get isRetryable(): boolean {
    return false;
  }
  get isCatchable(): boolean {
    return false;
  }
}

/**
 * A bound function's failure as Step Functions sees a Lambda function error: the error name is the Lambda
 * `errorType` (what `ErrorEquals` matches, e.g. `OdooUnavailable`), the cause is the Lambda error payload JSON
 * `{"errorType","errorMessage","trace"}` (what AWS puts in `Cause`). Shapes follow the Node.js Lambda runtime:
 * an Error reports its `name`/`message`/`stack`, any other thrown value `typeof value` and `String(value)`.
 */
function lambdaFunctionError(err: unknown): Error {
  const isError = err instanceof Error;
  const errorType = isError ? err.name || 'Error' : typeof err;
  const errorMessage = isError ? err.message : String(err);
  const trace = isError && typeof err.stack === 'string' ? err.stack.split('\n') : [];
  const e = new Error(JSON.stringify({ errorType, errorMessage, trace }));
  e.name = errorType;
  return e;
}

/**
 * Validates with the library's built-in check (asl-validator, ARNs and paths checked). asl-validator builds and
 * compiles its JSON schemas on every call (~0.3-1 s), so verdicts are memoized per definition text. Runs on a
 * copy: asl-validator adds `QueryLanguage` to every state of what it is given.
 */
const validationCache = new Map<string, string | null>();
function validationError(text: string, parsed: unknown): string | undefined {
  let verdict = validationCache.get(text);
  if (verdict === undefined) {
    try {
      new StateMachine(structuredClone(parsed) as StateMachineDefinition);
      verdict = null;
    } catch (err) {
      verdict = (err as Error).message;
    }
    if (validationCache.size >= 500) validationCache.clear();
    validationCache.set(text, verdict);
  }
  return verdict ?? undefined;
}

const jsonClone = (v: unknown): unknown => (v === undefined ? null : JSON.parse(JSON.stringify(v)));

function validateName(name: unknown, what: string): string {
  if (typeof name !== 'string' || name.length < 1 || name.length > 80 || INVALID_NAME_CHARS.test(name)) {
    throw sfnError('InvalidName', `Invalid Name: '${String(name)}' is not a valid ${what} name.`);
  }
  return name;
}

type AnyState = Record<string, unknown> & { Type?: string };
type Scope = { StartAt: string; States: Record<string, AnyState> };

/** The top-level machine and every nested one (Map ItemProcessor/Iterator, Parallel Branches), depth first. */
function collectScopes(scope: Scope, out: Scope[] = []): Scope[] {
  if (!scope || typeof scope !== 'object') return out; // (only before validation)
  out.push(scope);
  for (const state of Object.values(scope.States ?? {})) {
    if (!state || typeof state !== 'object') continue;
    if (state.Type === 'Map') {
      const inner = (state.ItemProcessor ?? state.Iterator) as Scope | undefined;
      if (inner) collectScopes(inner, out);
    } else if (state.Type === 'Parallel' && Array.isArray(state.Branches)) {
      for (const branch of state.Branches as Scope[]) collectScopes(branch, out);
    }
  }
  return out;
}

export class LocalStepFunctions {
  readonly accountId: string;
  readonly region: string;
  private readonly scale: number;
  private readonly maxIntervalMs: number | undefined;
  private readonly maxFinished: number;
  private readonly log: (message: string, extra?: unknown) => void;
  private readonly machines = new Map<string, StateMachineRecord>();
  private readonly execs = new Map<string, Execution>();
  private readonly functions = new Map<string, BoundFunction>();
  private readonly resources = new Map<string, BoundResource>();
  private readonly finishedListeners = new Set<(execution: ExecutionRecord) => void>();
  private running = 0;
  private finishedCount = 0;
  private idleWaiters: Array<() => void> = [];
  private closed = false;
  private readonly onStateTransition: ((stateName: string) => void) | undefined;

  constructor(opts: LocalStepFunctionsOptions) {
    this.accountId = opts.accountId;
    this.region = opts.region;
    this.scale = opts.intervalScale ?? 1;
    if (!(this.scale >= 0) || !Number.isFinite(this.scale)) throw new Error('intervalScale must be >= 0');
    this.maxIntervalMs = opts.maxIntervalMs;
    this.maxFinished = opts.maxFinishedExecutions ?? 10_000;
    this.log = opts.logger ?? ((m, e) => console.error(m, e));
    if (opts.onExecutionFinished) this.finishedListeners.add(opts.onExecutionFinished);
    this.onStateTransition = opts.onStateTransition;
  }

  // ---------------------------------------------------------------- local (in-process) API

  stateMachineArn(name: string): string {
    return `arn:aws:states:${this.region}:${this.accountId}:stateMachine:${name}`;
  }

  /**
   * Binds a Lambda function ARN to local code. Every Task state (at any depth: Map item processors, Parallel
   * branches) whose `Resource` is that ARN, or whose Resource is `arn:aws:states:::lambda:invoke` with
   * `Parameters.FunctionName` naming it (ARN, ARN with a qualifier, or bare function name), calls `fn` instead.
   * Direct-ARN tasks get `fn`'s result as their result; `lambda:invoke` tasks get
   * `{ ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 }` and pass `Parameters.Payload` (default `{}`).
   * Payload and result are JSON round-tripped, as through Lambda. A thrown error fails the task with the error's
   * `name` as Error (so `ErrorEquals: ['OdooUnavailable']` matches `err.name === 'OdooUnavailable'`, and
   * `States.TaskFailed`/`States.ALL` match any) and the Lambda error JSON as Cause. Qualifiers are ignored
   * (no versions locally). Bindings are looked up when a task runs, so binding after CreateStateMachine works.
   * Returns a function that removes the binding.
   */
  bindFunction(functionArn: string, fn: BoundFunction): () => void {
    const key = this.functionKey(functionArn);
    if (!key) throw new Error(`Not a Lambda function ARN: ${functionArn}`);
    this.functions.set(key, fn);
    return () => {
      if (this.functions.get(key) === fn) this.functions.delete(key);
    };
  }

  /**
   * Binds any other Task `Resource` (e.g. `arn:aws:states:::sqs:sendMessage`) to local code, which receives the
   * effective input (after `Parameters`) and whose return value is the task result as-is. Thrown errors keep their
   * `name` (matched by `ErrorEquals`) and `message` (the Cause).
   */
  bindResource(resource: string, handler: BoundResource): () => void {
    this.resources.set(resource, handler);
    return () => {
      if (this.resources.get(resource) === handler) this.resources.delete(resource);
    };
  }

  /**
   * Creates a STANDARD state machine (validated with the library's asl-validator, ARNs and paths checked) and
   * returns its ARN. Re-creating one with the same name, definition and role returns the same ARN (as AWS);
   * a different definition or role is `StateMachineAlreadyExists`.
   */
  createStateMachine(name: string, definition: string | object, roleArn?: string): string {
    return this.create(name, definition, roleArn).arn;
  }

  /** Starts an execution (AWS StartExecution semantics, including name idempotency). */
  startExecution(stateMachineArn: string, input?: unknown, name?: string): ExecutionRecord {
    const inputJson =
      input === undefined ? undefined : typeof input === 'string' ? input : JSON.stringify(input);
    const exec = this.start(stateMachineArn, inputJson, name);
    return { ...exec.record };
  }

  execution(executionArn: string): ExecutionRecord | undefined {
    const e = this.execs.get(executionArn);
    return e ? { ...e.record } : undefined;
  }

  /** Snapshots of the known executions (optionally of one state machine), oldest first. */
  executions(stateMachineArn?: string): ExecutionRecord[] {
    const out: ExecutionRecord[] = [];
    for (const e of this.execs.values()) {
      if (!stateMachineArn || e.record.stateMachineArn === stateMachineArn) out.push({ ...e.record });
    }
    return out;
  }

  /** Registers a listener called whenever an execution finishes (any status but RUNNING). Returns an unsubscribe. */
  onExecutionFinished(listener: (execution: ExecutionRecord) => void): () => void {
    this.finishedListeners.add(listener);
    return () => this.finishedListeners.delete(listener);
  }

  /**
   * Resolves when no execution is RUNNING. A bound function of an execution that was stopped or timed out may
   * still be running (as a Lambda invocation would); it is not waited for.
   */
  waitForIdle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Aborts every running execution (status ABORTED); further StartExecution calls fail. */
  close(): void {
    this.closed = true;
    for (const e of this.execs.values()) {
      if (e.record.status === 'RUNNING') this.stop(e, undefined, undefined);
    }
  }

  // ---------------------------------------------------------------- wire (AWS JSON 1.0, `AWSStepFunctions.*`)

  async handle(operation: string, input: Record<string, unknown>): Promise<unknown> {
    switch (operation) {
      case 'CreateStateMachine': {
        if (input.type !== undefined && input.type !== 'STANDARD') {
          throw sfnError(
            'StateMachineTypeNotSupported',
            'Only STANDARD state machines are supported by the local Step Functions.',
          );
        }
        if (typeof input.definition !== 'string') {
          throw sfnError('InvalidDefinition', 'Invalid State Machine Definition: definition is required.');
        }
        const sm = this.create(
          input.name as string,
          input.definition,
          typeof input.roleArn === 'string' ? input.roleArn : undefined,
        );
        return { stateMachineArn: sm.arn, creationDate: epoch(sm.creationDate) };
      }
      case 'DescribeStateMachine': {
        const sm = this.machine(input.stateMachineArn);
        return {
          stateMachineArn: sm.arn,
          name: sm.name,
          status: 'ACTIVE',
          definition: sm.definition,
          roleArn: sm.roleArn,
          type: 'STANDARD',
          creationDate: epoch(sm.creationDate),
          loggingConfiguration: { level: 'OFF', includeExecutionData: false },
          tracingConfiguration: { enabled: false },
        };
      }
      case 'StartExecution': {
        if (input.input !== undefined && typeof input.input !== 'string') {
          throw sfnError(
            'InvalidExecutionInput',
            'Invalid State Machine Execution Input: input must be a string.',
          );
        }
        const e = this.start(input.stateMachineArn, input.input, input.name);
        return { executionArn: e.record.executionArn, startDate: epoch(e.record.startDate) };
      }
      case 'DescribeExecution': {
        const r = this.exec(input.executionArn).record;
        const out: Record<string, unknown> = {
          executionArn: r.executionArn,
          stateMachineArn: r.stateMachineArn,
          name: r.name,
          status: r.status,
          startDate: epoch(r.startDate),
          input: r.input,
          inputDetails: { included: true },
        };
        if (r.stopDate) out.stopDate = epoch(r.stopDate);
        if (r.output !== undefined) {
          out.output = r.output;
          out.outputDetails = { included: true };
        }
        if (r.error !== undefined) out.error = r.error;
        if (r.cause !== undefined) out.cause = r.cause;
        return out;
      }
      case 'ListExecutions':
        return this.list(input);
      case 'StopExecution': {
        const e = this.exec(input.executionArn);
        const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
        if (e.record.status === 'RUNNING') this.stop(e, str(input.error), str(input.cause));
        return { stopDate: epoch(e.record.stopDate ?? new Date()) };
      }
      default:
        throw sfnError(
          'UnknownOperationException',
          `Operation ${operation} is not supported by the local Step Functions.`,
        );
    }
  }

  // ---------------------------------------------------------------- internals

  private create(
    name: unknown,
    definition: string | object,
    roleArn: string | undefined,
  ): StateMachineRecord {
    validateName(name, 'state machine');
    const smName = name as string;
    const text = typeof definition === 'string' ? definition : JSON.stringify(definition);
    const role = roleArn ?? `arn:aws:iam::${this.accountId}:role/local-step-functions`;
    const arn = this.stateMachineArn(smName);
    const existing = this.machines.get(arn);
    if (existing) {
      if (existing.definition === text && existing.roleArn === role) return existing;
      throw sfnError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw sfnError('InvalidDefinition', `Invalid State Machine Definition: '${(err as Error).message}'`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw sfnError('InvalidDefinition', 'Invalid State Machine Definition: not a JSON object');
    }
    const usesJsonata =
      (parsed as { QueryLanguage?: unknown }).QueryLanguage === 'JSONata' ||
      collectScopes(parsed as Scope).some((scope) =>
        Object.values(scope.States ?? {}).some((st) => st.QueryLanguage === 'JSONata'),
      );
    if (usesJsonata) {
      // aws-local-stepfunctions would silently evaluate JSONata fields as plain values.
      throw sfnError(
        'InvalidDefinition',
        'Invalid State Machine Definition: JSONata is not supported locally.',
      );
    }
    const invalid = validationError(text, parsed);
    if (invalid !== undefined)
      throw sfnError('InvalidDefinition', `Invalid State Machine Definition: ${invalid}`);
    const prepared = this.prepareDefinition(structuredClone(parsed) as Scope & Record<string, unknown>);
    const sm: StateMachineRecord = {
      arn,
      name: smName,
      definition: text,
      roleArn: role,
      creationDate: new Date(),
      runtime: new StateMachine(prepared.definition as unknown as StateMachineDefinition, {
        validationOptions: { noValidate: true },
      }),
      tasks: prepared.tasks,
      dynamicWaits: prepared.dynamicWaits,
    };
    this.machines.set(arn, sm);
    return sm;
  }

  /**
   * Rewrites a (validated) definition for local execution. The library keys Task handlers and Wait overrides by
   * state name across all nesting levels; that is unambiguous because state names are unique in the whole
   * machine (AWS requires it, and asl-validator rejects duplicates as DUPLICATE_STATE_NAMES).
   *  - Retry intervals and Wait `Seconds` are multiplied by `intervalScale` and capped by `maxIntervalMs`;
   *  - the library defaults a Task's TimeoutSeconds to 60 s, AWS has no default: tasks without one get the longest
   *    timer Node supports, and explicit timeouts above it are capped (longer ones would fire after 1 ms).
   */
  private prepareDefinition(def: Scope & Record<string, unknown>): {
    definition: Scope & Record<string, unknown>;
    tasks: Map<string, TaskTarget>;
    dynamicWaits: string[];
  } {
    const scopes = collectScopes(def);
    const capSec = this.maxIntervalMs === undefined ? undefined : this.maxIntervalMs / 1000;
    const scaled = (seconds: number) => {
      const s = seconds * this.scale;
      return capSec === undefined ? s : Math.min(s, capSec);
    };
    const skipDynamicWaits = this.scale === 0 || capSec === 0;
    const tasks = new Map<string, TaskTarget>();
    const dynamicWaits: string[] = [];
    if (typeof def.TimeoutSeconds === 'number')
      def.TimeoutSeconds = Math.min(def.TimeoutSeconds, MAX_TIMER_SECONDS);
    for (const scope of scopes) {
      for (const [name, state] of Object.entries(scope.States)) {
        for (const retrier of (state.Retry ?? []) as Array<Record<string, number | undefined>>) {
          retrier.IntervalSeconds = scaled(retrier.IntervalSeconds ?? 1);
          let maxDelay =
            retrier.MaxDelaySeconds === undefined ? undefined : retrier.MaxDelaySeconds * this.scale;
          if (capSec !== undefined) maxDelay = maxDelay === undefined ? capSec : Math.min(maxDelay, capSec);
          if (maxDelay !== undefined) {
            retrier.MaxDelaySeconds = maxDelay;
            if (maxDelay === 0) retrier.IntervalSeconds = 0; // the library ignores a 0 MaxDelaySeconds
          }
        }
        if (state.Type === 'Wait') {
          if (typeof state.Seconds === 'number') state.Seconds = scaled(state.Seconds);
          else if (skipDynamicWaits) dynamicWaits.push(name);
        } else if (state.Type === 'Task') {
          const resource = String(state.Resource);
          tasks.set(
            name,
            LAMBDA_INVOKE.test(resource) ? { kind: 'lambda-invoke' } : { kind: 'resource', resource },
          );
          if (typeof state.TimeoutSeconds === 'number') {
            state.TimeoutSeconds = Math.min(state.TimeoutSeconds, MAX_TIMER_SECONDS);
          } else if (state.TimeoutSecondsPath === undefined) {
            state.TimeoutSeconds = MAX_TIMER_SECONDS;
          }
        }
      }
    }
    return { definition: def, tasks, dynamicWaits };
  }

  /** Unqualified function ARN for an ARN (any qualifier dropped); undefined if not a function ARN. */
  private functionKey(arn: string): string | undefined {
    const m = LAMBDA_FUNCTION_ARN.exec(arn);
    if (!m) return undefined;
    return arn.slice(0, arn.indexOf(':function:') + ':function:'.length) + m[1];
  }

  /** Resolves `FunctionName` as Lambda does: full/qualified ARN, partial ARN (`account:function:name`) or name. */
  private findFunction(functionName: string): BoundFunction | undefined {
    const key = this.functionKey(functionName);
    if (key) return this.functions.get(key);
    const bare = functionName.includes(':function:')
      ? (functionName.split(':function:')[1] ?? '').split(':')[0]
      : functionName.split(':')[0];
    const matches = [...this.functions.entries()].filter(([k]) => k.endsWith(`:function:${bare}`));
    return matches.length === 1 ? matches[0]?.[1] : undefined;
  }

  private async invoke<T>(exec: Execution, call: () => Promise<T>): Promise<T> {
    // The library re-runs a state after an aborted retry backoff; never call user code for a stopped execution.
    if (exec.record.status !== 'RUNNING') throw new LocalRuntimeError('Execution is no longer running.');
    return call();
  }

  private taskHandlers(exec: Execution, sm: StateMachineRecord) {
    const handlers: Record<string, (input: unknown) => Promise<never>> = {};
    const callFunction = async (fn: BoundFunction, payload: unknown): Promise<unknown> => {
      try {
        return jsonClone(await fn(jsonClone(payload)));
      } catch (err) {
        throw lambdaFunctionError(err);
      }
    };
    const notFound = (fn: string) =>
      lambdaFunctionError(
        Object.assign(
          new Error(`Function not found: ${fn} (no local binding; use stepFunctions.bindFunction)`),
          {
            name: 'Lambda.ResourceNotFoundException',
          },
        ),
      );
    for (const [stateName, target] of sm.tasks) {
      handlers[stateName] = (input: unknown) =>
        this.invoke(exec, async () => {
          if (target.kind === 'lambda-invoke') {
            const params = (input ?? {}) as { FunctionName?: unknown; Payload?: unknown };
            const fnName = String(params.FunctionName ?? '');
            const fn = this.findFunction(fnName);
            if (!fn) throw notFound(fnName);
            const result = await callFunction(fn, params.Payload === undefined ? {} : params.Payload);
            return { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 };
          }
          const resourceFn = this.resources.get(target.resource);
          if (resourceFn) {
            try {
              return jsonClone(await resourceFn(jsonClone(input)));
            } catch (err) {
              throw err instanceof Error ? err : lambdaFunctionError(err);
            }
          }
          if (this.functionKey(target.resource)) {
            const fn = this.findFunction(target.resource);
            if (!fn) throw notFound(target.resource);
            return callFunction(fn, input);
          }
          throw new LocalRuntimeError(
            `Task resource ${target.resource} is not available locally (bind it with stepFunctions.bindResource).`,
          );
        }) as Promise<never>;
    }
    return handlers;
  }

  private start(stateMachineArn: unknown, input: unknown, name: unknown): Execution {
    const sm = this.machine(stateMachineArn);
    const execName = name === undefined ? randomUUID() : validateName(name, 'execution');
    const inputJson = input === undefined ? '{}' : String(input);
    let parsedInput: unknown;
    try {
      parsedInput = JSON.parse(inputJson);
    } catch (err) {
      throw sfnError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: '${(err as Error).message}'`,
      );
    }
    const executionArn = `arn:aws:states:${this.region}:${this.accountId}:execution:${sm.name}:${execName}`;
    const existing = this.execs.get(executionArn);
    if (existing) {
      // STANDARD idempotency: same name + same input while the original is still open -> the original execution;
      // a different input, or a closed original, -> ExecutionAlreadyExists.
      if (existing.record.status === 'RUNNING' && existing.record.input === inputJson) return existing;
      throw sfnError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    if (this.closed) throw sfnError('ServiceUnavailable', 'The local Step Functions is shut down.');
    const exec: Execution = {
      record: {
        executionArn,
        stateMachineArn: sm.arn,
        name: execName,
        status: 'RUNNING',
        startDate: new Date(),
        input: inputJson,
      },
    };
    this.execs.set(executionArn, exec);
    this.running++;
    // Run on the next turn: the library calls the first Task handler synchronously inside run().
    setImmediate(() => {
      if (exec.record.status !== 'RUNNING') return;
      const waitTimeOverrides = Object.fromEntries(sm.dynamicWaits.map((n) => [n, 0]));
      let run: ReturnType<StateMachine['run']>;
      try {
        run = sm.runtime.run(parsedInput as never, {
          overrides: { taskResourceLocalHandlers: this.taskHandlers(exec, sm), waitTimeOverrides },
          context: {
            Execution: { Id: executionArn, Name: execName, RoleArn: sm.roleArn },
            StateMachine: { Id: sm.arn, Name: sm.name },
          },
        });
      } catch (err) {
        this.finish(exec, 'FAILED', { error: 'States.Runtime', cause: (err as Error).message });
        return;
      }
      exec.abort = run.abort;
      const onTransition = this.onStateTransition;
      if (onTransition) {
        void (async () => {
          for await (const event of run.eventLogs) {
            if (event.type === 'StateEntered' || event.type === 'StateRetried')
              onTransition(event.state.name);
          }
        })().catch(() => undefined);
      }
      run.result.then(
        (output) => this.finish(exec, 'SUCCEEDED', { output: JSON.stringify(output ?? null) }),
        (err: unknown) => this.finishWithError(exec, err),
      );
    });
    return exec;
  }

  private finishWithError(exec: Execution, err: unknown): void {
    if (err instanceof ExecutionAbortedError) return this.finish(exec, 'ABORTED', {});
    if (err instanceof ExecutionTimeoutError) {
      return this.finish(exec, 'TIMED_OUT', { error: 'States.Timeout' });
    }
    const cause = err instanceof ExecutionError ? err.cause : err;
    if (cause instanceof Error) {
      // A Fail state without Error/Cause: the library fills in placeholders, AWS reports neither.
      const isFailState = cause.constructor.name === 'FailStateError';
      const error = isFailState && cause.name === 'FailStateError' ? undefined : cause.name;
      const message =
        isFailState && cause.message === 'Execution failed because of a Fail state'
          ? undefined
          : cause.message;
      return this.finish(exec, 'FAILED', {
        ...(error !== undefined ? { error } : {}),
        ...(message !== undefined ? { cause: message } : {}),
      });
    }
    this.finish(exec, 'FAILED', { error: 'States.Runtime', cause: String(cause) });
  }

  private stop(exec: Execution, error: string | undefined, cause: string | undefined): void {
    this.finish(exec, 'ABORTED', {
      ...(error !== undefined ? { error } : {}),
      ...(cause !== undefined ? { cause } : {}),
    });
    exec.abort?.();
  }

  private finish(
    exec: Execution,
    status: Exclude<ExecutionStatus, 'RUNNING'>,
    extra: { output?: string; error?: string; cause?: string },
  ): void {
    if (exec.record.status !== 'RUNNING') return; // already stopped (StopExecution / close) or finished
    Object.assign(exec.record, { status, stopDate: new Date(), ...extra });
    this.running--;
    this.finishedCount++;
    this.pruneFinished();
    const snapshot = { ...exec.record };
    for (const listener of this.finishedListeners) {
      try {
        listener(snapshot);
      } catch (err) {
        this.log('[local-sfn] onExecutionFinished listener failed', err);
      }
    }
    this.checkIdle();
  }

  private pruneFinished(): void {
    if (this.finishedCount <= this.maxFinished) return;
    for (const [arn, e] of this.execs) {
      if (this.finishedCount <= this.maxFinished) break;
      if (e.record.status !== 'RUNNING') {
        this.execs.delete(arn);
        this.finishedCount--;
      }
    }
  }

  private checkIdle(): void {
    if (this.running !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private machine(arn: unknown): StateMachineRecord {
    if (typeof arn !== 'string' || !arn.startsWith('arn:')) {
      throw sfnError('InvalidArn', `Invalid Arn: '${String(arn)}'`);
    }
    const sm = this.machines.get(arn);
    if (!sm) {
      if (!/^arn:[\w-]+:states:[\w-]+:\d{12}:stateMachine:[^:]+$/.test(arn)) {
        throw sfnError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
      }
      throw sfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    }
    return sm;
  }

  private exec(arn: unknown): Execution {
    if (typeof arn !== 'string' || !/^arn:[\w-]+:states:[\w-]+:\d{12}:execution:[^:]+:[^:]+$/.test(arn)) {
      throw sfnError('InvalidArn', `Invalid Arn: '${String(arn)}'`);
    }
    const e = this.execs.get(arn);
    if (!e) throw sfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return e;
  }

  private list(input: Record<string, unknown>): unknown {
    if (input.stateMachineArn === undefined) {
      throw sfnError('ValidationException', 'Must provide a StateMachine ARN or MapRun ARN');
    }
    const sm = this.machine(input.stateMachineArn);
    const statusFilter = input.statusFilter as string | undefined;
    const validStatuses = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];
    if (statusFilter !== undefined && !validStatuses.includes(statusFilter)) {
      throw sfnError('ValidationException', `Invalid statusFilter: ${statusFilter}`);
    }
    const maxResults = input.maxResults === undefined ? 0 : Number(input.maxResults);
    if (!Number.isInteger(maxResults) || maxResults < 0 || maxResults > 1000) {
      throw sfnError('ValidationException', 'maxResults must be between 0 and 1000');
    }
    const pageSize = maxResults === 0 ? 100 : maxResults;
    let offset = 0;
    if (input.nextToken !== undefined) {
      try {
        const t = JSON.parse(Buffer.from(String(input.nextToken), 'base64').toString('utf8')) as unknown;
        if (
          !Array.isArray(t) ||
          t[0] !== sm.arn ||
          t[1] !== (statusFilter ?? null) ||
          !Number.isInteger(t[2])
        ) {
          throw new Error('bad token');
        }
        offset = t[2] as number;
      } catch {
        throw sfnError('InvalidToken', `Invalid Token: '${String(input.nextToken)}'`);
      }
    }
    const all = [...this.execs.values()]
      .map((e) => e.record)
      .filter(
        (r) => r.stateMachineArn === sm.arn && (statusFilter === undefined || r.status === statusFilter),
      )
      .reverse(); // newest first, as AWS lists them
    const page = all.slice(offset, offset + pageSize).map((r) => ({
      executionArn: r.executionArn,
      stateMachineArn: r.stateMachineArn,
      name: r.name,
      status: r.status,
      startDate: epoch(r.startDate),
      ...(r.stopDate ? { stopDate: epoch(r.stopDate) } : {}),
    }));
    const next = offset + pageSize < all.length ? offset + pageSize : undefined;
    return {
      executions: page,
      ...(next !== undefined
        ? { nextToken: Buffer.from(JSON.stringify([sm.arn, statusFilter ?? null, next])).toString('base64') }
        : {}),
    };
  }
}

/** Timestamps travel as epoch seconds (JSON numbers) in the AWS JSON protocols. */
const epoch = (d: Date) => d.getTime() / 1000;
