/**
 * Parsed migration files, cached per process: the SQL language (editor and eslint) and the app
 * rules' tenant model read the same migrations, and an editor re-lints on every keystroke, so each
 * file is parsed again only when its contents change (by modification time, size and type on
 * disk, or by the text given for a file being edited).
 *
 * Files are read as `rls-guard check` reads them (src/migrations/read.ts): a FIFO or device is not
 * opened for reading, a file over the size limit is not read, a BOM is skipped, and a NUL byte or
 * invalid UTF-8 is a syntax error at its line. What could not be read is `unread`, with the reason.
 */
import { statSync } from 'node:fs';
import { configuredMaxFileBytes, decodeMigration, describeFsError, overSizeLimit, readMigration, readMigrationBytes, withContentProblems, type NotRead, type ReadMigration } from '../migrations/read.js';
import type { ParsedScript } from './parse.js';
import { cachedParseScript, processParseCache } from './parse-cache.js';
import { SourceText } from './source.js';

export interface ParsedFile {
  /** Identifies the contents, for callers that cache what they derive from them. */
  stamp: string;
  /** The parsed script; empty when the file was not read. */
  script: ParsedScript;
  /** Why the file was not read or is not SQL text (the analyzer reports it at the file); null when it was. */
  unread: NotRead | null;
}

const parsedFiles = new Map<string, ParsedFile>();

function quickHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return `${text.length}:${(h >>> 0).toString(16)}`;
}

function fromRead(stamp: string, read: ReadMigration): ParsedFile {
  if (!read.ok) return { stamp, script: { source: new SourceText(''), statements: [], errors: [] }, unread: read };
  return { stamp, script: withContentProblems(cachedParseScript(processParseCache(), read.text), read.problems), unread: null };
}

/**
 * The contents ESLint hands a rule for a file: its bytes decoded as UTF-8, each invalid sequence
 * one U+FFFD, and a leading BOM dropped. When the text given is that of the file on disk, the disk
 * bytes are decoded as check decodes them (an invalid byte or a binary file is then reported as
 * check reports it); an unsaved editor buffer is its own contents.
 */
function readEdited(file: string, text: string, maxBytes: number): ReadMigration {
  const onDisk = readMigrationBytes(file, maxBytes);
  if (onDisk.ok) {
    const bom = onDisk.bytes[0] === 0xef && onDisk.bytes[1] === 0xbb && onDisk.bytes[2] === 0xbf;
    if ((bom ? onDisk.bytes.subarray(3) : onDisk.bytes).toString('utf8') === text) return decodeMigration(onDisk.bytes);
  } else if (!onDisk.unreadable && Buffer.byteLength(text, 'utf8') > maxBytes) {
    return onDisk;
  }
  const size = Buffer.byteLength(text, 'utf8');
  if (size > maxBytes) return overSizeLimit(size, maxBytes);
  return decodeMigration(Buffer.from(text, 'utf8'));
}

/**
 * The parsed script of `file`: from `text` when given (the contents ESLint or an editor holds),
 * else from disk. Never throws for what is at the path: see `unread`.
 */
export function parsedFile(file: string, text: string | null = null, maxBytes: number = configuredMaxFileBytes()): ParsedFile {
  let stamp: string;
  if (text === null) {
    try {
      const stat = statSync(file);
      stamp = `${stat.mtimeMs}:${stat.size}:${stat.mode}:${stat.ino}`;
    } catch (error) {
      // Gone, a dangling link, a link loop: nothing to cache; the read says why.
      return fromRead(`unread:${describeFsError(error)}`, readMigration(file, maxBytes));
    }
  } else {
    stamp = quickHash(text);
  }
  stamp = `${stamp}|${maxBytes}`;
  const cached = parsedFiles.get(file);
  if (cached && cached.stamp === stamp) return cached;
  const entry = fromRead(stamp, text === null ? readMigration(file, maxBytes) : readEdited(file, text, maxBytes));
  parsedFiles.set(file, entry);
  return entry;
}
