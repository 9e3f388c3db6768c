import { createWriteStream } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { forwardTo } from '../chaos/support/forward.js';

/**
 * An Odoo as slow as a real one, in front of the sandbox (or any Odoo): `workers` Odoo workers, each serving one
 * call at a time and at most `rpcPerSecondPerWorker` calls a second (odoo.md: about 6 RPC/s per worker). A call
 * waits for a free worker, then holds it for at least 1/rate s. `down` makes every call fail as an unreachable
 * Odoo does behind its front proxy (HTML 502), for the outage of the month-end bench. Counts every business
 * call by `model.method` as it reaches the Odoo behind (what the hub's RPC figures are made of).
 */
export interface RateLimitedOdoo {
  url: string;
  /** Off during setup (no limit), on for the measured phase. */
  limit: { workers: number; rpcPerSecondPerWorker: number } | undefined;
  down: boolean;
  /**
   * Answers to lose (`model.method` → how many): the call reaches Odoo and commits, the hub gets the 502 of a
   * proxy whose upstream dropped the connection (a write whose outcome the hub cannot know).
   */
  loseAnswers: Map<string, number>;
  /**
   * Calls to commit late (`model.method` → milliseconds): the hub gets the proxy's 502 at once, and the call
   * reaches Odoo (and commits) only that much later — a request Odoo was still working on when the hub gave
   * up, as a 300-payment create that outlasted the client's timeout on the real Odoo 17. One call each.
   */
  commitLate: Map<string, number>;
  /** Late calls not yet forwarded or answered by Odoo: settled before the books are read. */
  pendingLate(): Promise<void>;
  calls: Map<string, number>;
  /** Calls refused while down. */
  refused: number;
  /**
   * Seconds Odoo's workers spent serving limited calls, summed over workers (each call from taking a worker to
   * its answer): divided by the workers, the least time Odoo alone needed for the work; the rest of a drain is
   * the hub's own (or the outage).
   */
  workerSeconds: number;
  /**
   * Seconds in which at least one limited call was in flight: on an Odoo of one process (`workers = 0`, calls
   * served by threads of it), the time Odoo was at work, which `workerSeconds` ÷ workers understates.
   */
  busySeconds: number;
  resetCounts(): void;
  totalCalls(): number;
  close(): Promise<void>;
}

/**
 * `callLog`: a file that gets a line per call while limited, once Odoo answered — when (epoch ms), how long Odoo
 * took (ms, before the rate limit's padding), `model.method`, the first 300 characters of its body — to see which
 * calls a drain spent Odoo's time on, and whether they slow as the books grow (BENCH_MONTH_END_CALL_LOG).
 */
export async function startRateLimitedOdoo(
  target: string,
  options: { callLog?: string } = {},
): Promise<RateLimitedOdoo> {
  const upstream = new URL(target);
  const callLog = options.callLog ? createWriteStream(options.callLog, { flags: 'a' }) : undefined;
  const sockets = new Set<import('node:net').Socket>();
  const waiting: Array<() => void> = [];
  let busy = 0;
  // Limited calls in flight, and since when at least one was (busySeconds).
  let inFlight = 0;
  let busySince = 0;
  const late = new Set<Promise<unknown>>();
  const state: RateLimitedOdoo = {
    url: '',
    limit: undefined,
    down: false,
    loseAnswers: new Map(),
    commitLate: new Map(),
    pendingLate: async () => {
      await Promise.all(late);
    },
    calls: new Map(),
    refused: 0,
    workerSeconds: 0,
    busySeconds: 0,
    resetCounts() {
      state.calls = new Map();
      state.refused = 0;
      state.workerSeconds = 0;
      state.busySeconds = 0;
      busySince = performance.now();
    },
    totalCalls: () => [...state.calls.values()].reduce((a, b) => a + b, 0),
    close: async () => undefined,
  };

  /** Takes a worker (when limited): answers whether one was taken, so a limit switched meanwhile frees it right. */
  const acquire = async (): Promise<boolean> => {
    if (!state.limit) return false;
    if (busy < state.limit.workers) {
      busy += 1;
      return true;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
    return true;
  };
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else busy = Math.max(0, busy - 1);
  };

  const forward = (body: Buffer, req: http.IncomingMessage) => forwardTo(upstream, req, body);

  const nameOf = (req: http.IncomingMessage, body: Buffer): string | undefined => {
    if ((req.url ?? '').startsWith('/json/2/'))
      return (req.url ?? '').slice('/json/2/'.length).replace('/', '.');
    try {
      const params = (
        JSON.parse(body.toString('utf8')) as {
          params?: { service?: string; method?: string; args?: unknown[] };
        }
      ).params;
      if (params?.service === 'object') return `${String(params.args?.[3])}.${String(params.args?.[4])}`;
      return params?.service ? `${params.service}.${params.method}` : undefined;
    } catch {
      return undefined;
    }
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      if (state.down) {
        state.refused += 1;
        badGateway(res);
        return;
      }
      const name = nameOf(req, body);
      const lateMs = name ? state.commitLate.get(name) : undefined;
      if (name && lateMs !== undefined) {
        state.commitLate.delete(name);
        state.calls.set(name, (state.calls.get(name) ?? 0) + 1);
        badGateway(res);
        const landing = new Promise((resolve) => setTimeout(resolve, lateMs))
          .then(() => forward(body, req))
          .catch(() => undefined);
        late.add(landing);
        void landing.finally(() => late.delete(landing));
        return;
      }
      const limited = await acquire();
      const started = performance.now();
      if (limited && inFlight++ === 0) busySince = started;
      try {
        if (name && !name.startsWith('undefined')) state.calls.set(name, (state.calls.get(name) ?? 0) + 1);
        const answer = await forward(body, req);
        const losing = name ? (state.loseAnswers.get(name) ?? 0) : 0;
        if (name && losing > 0) {
          state.loseAnswers.set(name, losing - 1);
          badGateway(res);
          return;
        }
        if (callLog && state.limit)
          callLog.write(
            `${Date.now()} ${Math.round(performance.now() - started)} ${name} ${body.toString('utf8').slice(0, 300)}\n`,
          );
        if (state.limit) {
          const minimum = 1000 / state.limit.rpcPerSecondPerWorker;
          const spent = performance.now() - started;
          if (spent < minimum) await new Promise((r) => setTimeout(r, minimum - spent));
        }
        const headers = { ...answer.headers };
        delete headers['transfer-encoding'];
        delete headers.connection;
        res.writeHead(answer.status, headers).end(answer.body);
      } catch {
        req.socket.destroy();
      } finally {
        if (limited) {
          const ended = performance.now();
          state.workerSeconds += (ended - started) / 1000;
          if (--inFlight === 0) state.busySeconds += (ended - busySince) / 1000;
          release();
        }
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      callLog?.end();
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return state;
}

/** What a front proxy answers when Odoo is unreachable or dropped the connection: an HTML 502. */
function badGateway(res: http.ServerResponse): void {
  res
    .writeHead(502, { 'content-type': 'text/html' })
    .end('<html><body><h1>502 Bad Gateway</h1></body></html>');
}
