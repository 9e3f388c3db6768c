/**
 * The Odoo sandbox in a process of its own, as `npm start` runs it: a real Odoo is a server apart from the hub,
 * so a suite or bench that shares the hub's event loop with it measures the two together.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface SandboxProcess {
  child: ChildProcess;
  url: string;
  /** SIGTERM, then waits for it to exit (it writes its data file first). */
  stop(): Promise<void>;
}

/** Starts `local/odoo-sandbox/main.ts` on `port` (0: any), keeping its books in `dataFile` or in memory. */
export async function startSandboxProcess(options: {
  port: number;
  dataFile?: string;
}): Promise<SandboxProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(REPO_ROOT, 'local/odoo-sandbox/main.ts'),
      '--port',
      String(options.port),
      ...(options.dataFile ? ['--data', options.dataFile] : ['--fresh']),
    ],
    {
      cwd: REPO_ROOT,
      // stdin is a pipe the sandbox follows: when this process dies, so does the sandbox.
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, ODOO_SANDBOX_EXIT_WITH_PARENT: '1' },
    },
  );
  const url = await new Promise<string>((ok, fail) => {
    let seen = '';
    const timer = setTimeout(() => fail(new Error(`Odoo sandbox did not start: ${seen}`)), 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(seen);
      if (match?.[1]) {
        clearTimeout(timer);
        ok(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`Odoo sandbox exited with code ${code}: ${seen}`));
    });
  });
  child.stdout?.resume();
  return {
    child,
    url,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((ok) => {
        child.once('exit', () => ok());
        child.kill('SIGTERM');
      });
    },
  };
}
