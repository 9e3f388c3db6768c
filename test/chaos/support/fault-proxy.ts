import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { forwardTo } from './forward.js';

/**
 * A fault proxy in front of an Odoo (sandbox or real): what the hub sees of a sick server, injected per request.
 *  - `html500`: an HTML 500 page, as Odoo's front proxy gives under overload (the call never reaches Odoo);
 *  - `drop`: the connection is cut before Odoo sees the call;
 *  - `late`: the call reaches Odoo and commits, but the answer is withheld until the client gave up (the socket
 *    is cut after `lateMs`), the case that made duplicate invoices;
 *  - `delay`: the call is held `delayMs` before it is forwarded (a slow Odoo);
 *  - `down`: every call is refused with a 502 (Odoo unreachable) until `down` is cleared.
 * `authenticate`/`version` calls pass untouched unless Odoo is down, so faults hit the business calls.
 */
export type Fault = 'html500' | 'drop' | 'late' | 'delay';

export interface FaultPlan {
  /** probability (0..1) of each fault per business call */
  rates: Partial<Record<Fault, number>>;
  delayMs: number;
  lateMs: number;
  down: boolean;
  /** faults only for calls whose body matches (e.g. /"load"/); every business call when absent */
  match?: RegExp;
}

export interface FaultProxy {
  url: string;
  plan: FaultPlan;
  /** how many of each fault were injected, and how many calls passed cleanly */
  counts: Record<Fault | 'down' | 'passed', number>;
  close(): Promise<void>;
}

export async function startFaultProxy(
  target: string,
  plan: Partial<FaultPlan> = {},
  random: () => number = Math.random,
): Promise<FaultProxy> {
  const upstream = new URL(target);
  const state: FaultPlan = { rates: {}, delayMs: 3_000, lateMs: 1_000, down: false, ...plan };
  const counts: FaultProxy['counts'] = { html500: 0, drop: 0, late: 0, delay: 0, down: 0, passed: 0 };
  const sockets = new Set<import('node:net').Socket>();

  const pick = (): Fault | undefined => {
    let roll = random();
    for (const fault of ['html500', 'drop', 'late', 'delay'] as Fault[]) {
      const rate = state.rates[fault] ?? 0;
      if (roll < rate) return fault;
      roll -= rate;
    }
    return undefined;
  };

  const forward = (body: Buffer, req: http.IncomingMessage) => forwardTo(upstream, req, body);

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      const isBusiness = text.includes('execute_kw') || (req.url ?? '').startsWith('/json/2/');
      if (state.down) {
        counts.down += 1;
        res
          .writeHead(502, { 'content-type': 'text/html' })
          .end('<html><body><h1>502 Bad Gateway</h1></body></html>');
        return;
      }
      const fault = isBusiness && (!state.match || state.match.test(text)) ? pick() : undefined;
      try {
        if (fault === 'html500') {
          counts.html500 += 1;
          res
            .writeHead(500, { 'content-type': 'text/html' })
            .end(
              '<!doctype html><html><title>500 Internal Server Error</title><h1>Internal Server Error</h1></html>',
            );
          return;
        }
        if (fault === 'drop') {
          counts.drop += 1;
          req.socket.destroy();
          return;
        }
        if (fault === 'delay') {
          counts.delay += 1;
          await new Promise((r) => setTimeout(r, state.delayMs));
        }
        const answer = await forward(body, req);
        if (fault === 'late') {
          counts.late += 1;
          // Odoo has committed; the caller hears nothing until it gives up.
          await new Promise((r) => setTimeout(r, state.lateMs));
          req.socket.destroy();
          return;
        }
        if (!fault) counts.passed += 1;
        const headers = { ...answer.headers };
        delete headers['transfer-encoding'];
        delete headers.connection;
        res.writeHead(answer.status, headers).end(answer.body);
      } catch {
        req.socket.destroy();
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    plan: state,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
