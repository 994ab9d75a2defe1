/**
 * How deep JSON text nests, found by one linear scan before JSON.parse: a hostile file nested
 * a hundred thousand levels deep overflows the stack of whatever walks the parsed value (schema
 * validation, error messages), so it is refused up front with its location instead.
 */

/** The 0-based offset where `text` first opens more than `maxDepth` arrays or objects, or -1. */
export function excessiveNestingOffset(text: string, maxDepth: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return i;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return -1;
}

/** `line L, column C` (1-based) of an offset. */
export function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}
