import type { SourceMap } from 'node:module';

// A V8 frame position in a bundle file: `…/index.mjs:LINE:COLUMN`, with or without parentheses around it.
const FRAME = /([^\s(]*\.m?js):(\d+):(\d+)/g;

/**
 * Each bundle position in `trace` replaced by its original `file:line:column` (1-based, as V8 prints them) from
 * `map`; positions the map does not cover are left as they are.
 */
export function resolveStack(trace: string, map: SourceMap): string {
  return trace.replace(FRAME, (frame, _file: string, line: string, column: string) => {
    const entry = map.findEntry(Number(line) - 1, Number(column) - 1);
    if (!entry || !('originalSource' in entry) || !entry.originalSource) return frame;
    const source = entry.originalSource.replace(/^(\.\.\/)+/, '');
    return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}
