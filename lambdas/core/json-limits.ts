/**
 * What a JSON body must pass before any schema or business rule looks at it (issue #15): bounded nesting, so
 * no validator recurses 20,000 levels deep, and no control characters in any string — PostgreSQL (Odoo)
 * cannot store NUL, and a control character in an id or a name is never data. Tab, line feed and carriage
 * return stay allowed in free text.
 */
export const MAX_JSON_DEPTH = 32;

/** Does `text` nest arrays/objects deeper than `max`? A scan of the raw text, before JSON.parse. */
export function exceedsJsonDepth(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** JSON Pointers (RFC 6901) of every string (or member name) that carries a control character. */
export function controlCharacterPaths(value: unknown, pointer = ''): string[] {
  if (typeof value === 'string') return CONTROL.test(value) ? [pointer || '/'] : [];
  if (Array.isArray(value)) return value.flatMap((item, i) => controlCharacterPaths(item, `${pointer}/${i}`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => {
      const path = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      return [...(CONTROL.test(key) ? [path] : []), ...controlCharacterPaths(item, path)];
    });
  }
  return [];
}
