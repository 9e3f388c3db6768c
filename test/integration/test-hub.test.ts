import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestHub } from './support/hub.js';

// Every test file starts a hub with its own tables and queues on disk: left behind, they filled the disk of the
// machine that ran the suites and benches for a few days (1,562 dirs, 72 GB).
describe('the test hub', () => {
  it('removes the state dir it made when it closes, and leaves a caller its own', async () => {
    // Arrange
    const callersDir = mkdtempSync(join(tmpdir(), 'rcm-hub-callers-'));
    try {
      // Act
      const own = await startTestHub();
      const ownDir = own.stateDir;
      const existedWhileOpen = existsSync(join(ownDir, 'dynamodb'));
      await own.close();
      const callers = await startTestHub({ stateDir: callersDir });
      await callers.close();

      // Assess
      expect(existedWhileOpen).toBe(true);
      expect(existsSync(ownDir)).toBe(false);
      expect(existsSync(join(callersDir, 'dynamodb'))).toBe(true);
    } finally {
      rmSync(callersDir, { recursive: true, force: true });
    }
  });
});
