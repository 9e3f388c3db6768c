/**
 * `tsx local/odoo-sandbox/main.ts [--port N] [--data FILE] [--fresh]`
 * Prints one "listening" line when ready; the parent process waits for it.
 */
import { startOdooSandbox } from './server.js';

function parseArgs(argv: string[]) {
  const options: { port?: number; dataFile?: string; fresh: boolean } = { fresh: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--port') options.port = Number(argv[++i]);
    else if (arg?.startsWith('--port=')) options.port = Number(arg.slice(7));
    else if (arg === '--data') options.dataFile = argv[++i];
    else if (arg?.startsWith('--data=')) options.dataFile = arg.slice(7);
    else if (arg === '--fresh') options.fresh = true;
    else {
      console.error(`usage: main.ts [--port N] [--data FILE] [--fresh] (unknown argument ${arg})`);
      process.exit(2);
    }
  }
  return options;
}

const args = parseArgs(process.argv.slice(2));
const port = args.port ?? Number(process.env.ODOO_SANDBOX_PORT ?? 8069);
const db = process.env.ODOO_SANDBOX_DB ?? 'rcm';
const sandbox = await startOdooSandbox({
  port,
  host: '127.0.0.1',
  dataFile: args.dataFile,
  fresh: args.fresh,
  db,
  login: process.env.ODOO_SANDBOX_USER ?? 'admin',
  apiKey: process.env.ODOO_SANDBOX_API_KEY ?? 'admin',
}).catch((error: NodeJS.ErrnoException) => {
  if (error.code !== 'EADDRINUSE') throw error;
  // One line the parent (npm start) can pass on as it is.
  console.error(`odoo-sandbox: port ${port} is in use (set ODOO_SANDBOX_PORT to another port)`);
  process.exit(3);
});
console.log(`odoo-sandbox listening on ${sandbox.url} (db ${db})`);

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  sandbox.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`odoo-sandbox: error while stopping on ${signal}`, error);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));

// Started by the hub with a pipe on stdin: the pipe closes when the hub dies, even by `kill -9`, and the
// sandbox follows it instead of living on as an orphan that holds the port (issue 12).
if (process.env.ODOO_SANDBOX_EXIT_WITH_PARENT === '1') {
  process.stdin.on('end', () => stop('parent exit'));
  process.stdin.on('error', () => stop('parent exit'));
  process.stdin.resume();
}
