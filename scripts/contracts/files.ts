import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One generated file: repository-relative path (forward slashes) and its full content. */
export interface GeneratedFile {
  path: string;
  content: string;
}

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Pretty JSON, 2 spaces, trailing newline: the same bytes for the same value. */
export function jsonFile(path: string, value: unknown): GeneratedFile {
  return { path, content: `${JSON.stringify(value, null, 2)}\n` };
}

export function readRepoJson(path: string): unknown {
  return JSON.parse(readFileSync(join(REPO_ROOT, path), 'utf8'));
}

export function readRepoFile(path: string): string | undefined {
  const file = join(REPO_ROOT, path);
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}
