/**
 * Parsed migration files, cached per process: the SQL language (editor and eslint) and the app
 * rules' tenant model read the same migrations, and an editor re-lints on every keystroke, so each
 * file is parsed again only when its contents change (by modification time and size on disk, or by
 * the text given for a file being edited).
 */
import { readFileSync, statSync } from 'node:fs';
import { parseScript, type ParsedScript } from './parse.js';

const parsedFiles = new Map<string, { stamp: string; script: ParsedScript }>();

function quickHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return `${text.length}:${(h >>> 0).toString(16)}`;
}

/**
 * The parsed script of `file`: from `text` when given (an editor's unsaved contents), else from
 * disk. `stamp` identifies the contents, for callers that cache what they derive from them.
 */
export function parsedFile(file: string, text: string | null = null): { stamp: string; script: ParsedScript } {
  let stamp: string;
  if (text === null) {
    const stat = statSync(file);
    stamp = `${stat.mtimeMs}:${stat.size}`;
  } else {
    stamp = quickHash(text);
  }
  const cached = parsedFiles.get(file);
  if (cached && cached.stamp === stamp) return cached;
  const entry = { stamp, script: parseScript(text ?? readFileSync(file, 'utf8')) };
  parsedFiles.set(file, entry);
  return entry;
}
