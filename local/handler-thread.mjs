// One Lambda container in a thread of its own (local/runtime.ts `handlerThreads`). Plain JavaScript: a worker
// thread does not inherit tsx's loader, so this registers it before it imports the TypeScript handler.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { entry, contextModule, functionName, region, account, memoryMb } = workerData;
const { makeLambdaContext } = await import(contextModule);
const { handler } = await import(entry);
if (typeof handler !== 'function') throw new Error(`${entry} exports no handler`);

parentPort.on('message', async ({ id, event, remainingMs }) => {
  // The caller's deadline as time left, so the handler sees what its invocation has (the clocks are one).
  const context = makeLambdaContext(functionName, region, account, remainingMs, memoryMb);
  try {
    parentPort.postMessage({ id, result: await handler(event, context) });
  } catch (error) {
    const { name, message, stack } = error instanceof Error ? error : new Error(String(error));
    parentPort.postMessage({ id, error: { name, message, stack } });
  }
});
parentPort.postMessage({ ready: true });
