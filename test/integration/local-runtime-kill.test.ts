import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, odoo, startTestHub } from './support/hub.js';

/**
 * Issue 12: the local runtime survives `kill -9` of itself or of its Odoo sandbox — no orphaned sandbox, no hang
 * on shutdown when the sandbox died by a signal, and a sandbox that dies is restarted with its data.
 */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const sandboxPid = (stateDir: string): number | undefined => {
  const file = join(stateDir, 'odoo-sandbox.pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8')) : undefined;
};

const spawned: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const child of spawned)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('the local runtime under kill -9', () => {
  it('restarts a killed sandbox on the same address with its data, and still stops at once', async () => {
    const hub = await startTestHub();
    dirs.push(hub.stateDir);
    const [partner] = await odoo<number[]>(hub, 'res.partner', 'create', [
      [{ name: 'Survivor', ref: 'rcm:payer:S' }],
    ]);
    const first = sandboxPid(hub.stateDir) as number;
    process.kill(first, 'SIGKILL');

    const second = await eventually(
      async () => {
        const pid = sandboxPid(hub.stateDir);
        if (!pid || pid === first) return undefined;
        return (await odoo<number[]>(hub, 'res.partner', 'search', [[['ref', '=', 'rcm:payer:S']]]).catch(
          () => undefined,
        ))
          ? pid
          : undefined;
      },
      30_000,
      'the sandbox back on its address',
    );
    expect(await odoo<number[]>(hub, 'res.partner', 'search', [[['ref', '=', 'rcm:payer:S']]])).toEqual([
      partner,
    ]);

    // Killed again and the hub stopped at once: the child died by a signal (signalCode, no exitCode).
    process.kill(second, 'SIGKILL');
    await hub.close();
    expect(alive(second)).toBe(false);
  });

  it('takes its sandbox with it when the hub process itself is killed', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'rcm-hub-kill-'));
    dirs.push(stateDir);
    const hub = spawn(process.execPath, ['--import', 'tsx', 'bin/local.ts'], {
      env: {
        ...process.env,
        PORT: '0',
        ODOO_SANDBOX_PORT: '0',
        RCM_STATE_DIR: stateDir,
        RCM_LOCAL_RECONCILIATION_MINUTES: '0',
        POWERTOOLS_LOG_LEVEL: 'SILENT',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    spawned.push(hub);
    let out = '';
    hub.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    hub.stderr?.resume();
    await eventually(
      async () => (out.includes('rcm-hub is running') ? true : undefined),
      60_000,
      'hub start',
    );
    const sandbox = sandboxPid(stateDir) as number;
    expect(alive(sandbox)).toBe(true);

    hub.kill('SIGKILL');
    await eventually(async () => (alive(sandbox) ? undefined : true), 15_000, 'the orphan to exit');
  });
});
