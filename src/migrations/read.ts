/**
 * Reading a migration file as the gate must: whatever is at the path. A file that cannot be read
 * (gone, a dangling link, a FIFO or device, over the size limit, permission denied) is a problem
 * with the reason and is not read; a file that is read but is not UTF-8 text (a NUL byte, an
 * invalid byte sequence, binary content) is a problem at its line. PostgreSQL rejects invalid
 * UTF-8 in a UTF8 database, and a NUL byte cuts a C string: libpg-query would silently see only
 * what comes before it. A UTF-8 byte order mark is skipped, as psql and Flyway skip it.
 */
import { closeSync, fstatSync, openSync, readSync, constants as fs } from 'node:fs';
import type { ParsedScript } from '../sql/parse.js';

/** Files larger than this are reported and not read, unless configured otherwise. */
export const DEFAULT_MAX_FILE_BYTES = 32 * 1024 * 1024;
/** The environment variable that sets the size limit, in bytes (`--max-file-size` overrides it). */
export const MAX_FILE_SIZE_VARIABLE = 'RLS_GUARD_MAX_FILE_SIZE';

/** A bad size limit setting. */
export class FileSizeSettingError extends Error {}

/** A size limit in bytes from `<n>`, `<n>k`, `<n>m` or `<n>g` (powers of 1024). */
export function parseFileSize(value: string, setting: string): number {
  const match = /^\s*(\d+)\s*([kmg]?)i?b?\s*$/i.exec(value);
  const n = match ? Number(match[1]) * 1024 ** ' kmg'.indexOf((match[2] || ' ').toLowerCase()) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new FileSizeSettingError(`${setting} expects a size in bytes, e.g. 33554432 or 32m (got "${value}")`);
  return n;
}

export function configuredMaxFileBytes(env: NodeJS.ProcessEnv = process.env): number {
  const value = env[MAX_FILE_SIZE_VARIABLE];
  return value === undefined || value.trim() === '' ? DEFAULT_MAX_FILE_BYTES : parseFileSize(value, MAX_FILE_SIZE_VARIABLE);
}

/** A problem with a file's contents, at a character offset of the decoded text. */
export interface ContentProblem {
  message: string;
  offset: number;
}

export type ReadMigration =
  /** `text` is what the parser sees: NUL bytes and invalid sequences blanked, no BOM. */
  | { ok: true; text: string; problems: ContentProblem[] }
  /** Not read, or not text: `reason` says why, for a finding at the file. */
  | NotRead;

export interface NotRead {
  ok: false;
  reason: string;
  /**
   * Nothing could be read at the path (it cannot be opened, or is a FIFO, device or socket), as
   * opposed to a file that was read and is not SQL text, or is over the size limit.
   */
  unreadable: boolean;
}

/**
 * Above this share of NUL bytes and invalid sequences (and this many), the file is binary and not
 * parsed: random bytes are about half invalid, while a Latin-1 file has the odd accented letter.
 */
const BINARY_SHARE = 0.1;
const BINARY_MIN = 8;

const ERRNO_REASONS: Record<string, string> = {
  ENOENT: 'the file does not exist (deleted during the run, or a dangling symbolic link)',
  ELOOP: 'a symbolic link loop',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'a directory, not a file',
  ENAMETOOLONG: 'the path is too long',
  EIO: 'an input/output error',
};

export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code && ERRNO_REASONS[code]) return `${ERRNO_REASONS[code]} (${code})`;
  return code ?? (error instanceof Error ? error.message : String(error));
}

function fileKind(mode: number): string | null {
  switch (mode & fs.S_IFMT) {
    case fs.S_IFREG:
      return null;
    case fs.S_IFIFO:
      return 'a FIFO (named pipe)';
    case fs.S_IFCHR:
      return 'a character device';
    case fs.S_IFBLK:
      return 'a block device';
    case fs.S_IFSOCK:
      return 'a socket';
    case fs.S_IFDIR:
      return 'a directory';
    default:
      return 'not a regular file';
  }
}

/** Reads one migration. Never throws for what is at the path. */
export function readMigration(path: string, maxBytes: number): ReadMigration {
  const read = readMigrationBytes(path, maxBytes);
  return read.ok ? decodeMigration(read.bytes) : read;
}

/** Why a file of `size` bytes is not read. */
export function overSizeLimit(size: number, maxBytes: number): NotRead {
  return { ok: false, reason: `it is ${size} bytes, over the size limit of ${maxBytes} bytes (--max-file-size or ${MAX_FILE_SIZE_VARIABLE}): not read`, unreadable: false };
}

/** A migration's bytes, as `readMigration` reads them (for callers that also hold a decoded copy, like ESLint). */
export function readMigrationBytes(path: string, maxBytes: number): { ok: true; bytes: Buffer } | NotRead {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
    fd = openSync(path, fs.O_RDONLY | fs.O_NONBLOCK);
  } catch (error) {
    return { ok: false, reason: `cannot read it: ${describeFsError(error)}`, unreadable: true };
  }
  try {
    const stat = fstatSync(fd);
    const kind = fileKind(stat.mode);
    if (kind) return { ok: false, reason: `it is ${kind}, not a regular file: not read`, unreadable: true };
    if (stat.size > maxBytes) return overSizeLimit(stat.size, maxBytes);
    const bytes = Buffer.alloc(stat.size);
    let read = 0;
    while (read < bytes.length) {
      const n = readSync(fd, bytes, read, bytes.length - read, read);
      if (n === 0) break; // truncated while being read: what is there is what is checked
      read += n;
    }
    return { ok: true, bytes: bytes.subarray(0, read) };
  } catch (error) {
    return { ok: false, reason: `cannot read it: ${describeFsError(error)}`, unreadable: true };
  } finally {
    closeSync(fd);
  }
}

/**
 * A read migration's content problems as syntax errors of its parsed script, at their offsets:
 * PostgreSQL rejects the file (check, ESLint and the app rules' model all report them so).
 */
export function withContentProblems(script: ParsedScript, problems: readonly ContentProblem[]): ParsedScript {
  if (problems.length > 0) script.errors = [...script.errors, ...problems].sort((a, b) => a.offset - b.offset);
  return script;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes a migration's bytes (see the module comment). */
export function decodeMigration(input: Buffer): ReadMigration {
  if ((input[0] === 0xff && input[1] === 0xfe) || (input[0] === 0xfe && input[1] === 0xff)) {
    return { ok: false, reason: 'it is UTF-16 text (by its byte order mark); PostgreSQL reads migrations as UTF-8: save it as UTF-8', unreadable: false };
  }
  const bytes = input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf ? input.subarray(3) : input;
  let text: string;
  let invalid: { count: number; firstByte: number; firstValue: number } | null = null;
  try {
    text = utf8.decode(bytes);
  } catch {
    invalid = findInvalidUtf8(bytes);
    // Blanked like NUL bytes (below): the parser then sees the statements around them as written.
    text = bytes.toString('utf8').replaceAll('\uFFFD', ' ');
  }
  let nulCount = 0;
  let firstNul = -1;
  for (let i = text.indexOf('\0'); i !== -1; i = text.indexOf('\0', i + 1)) {
    if (firstNul < 0) firstNul = i;
    nulCount++;
  }
  if (nulCount === 0 && invalid === null) return { ok: true, text, problems: [] };

  const bad = nulCount + (invalid?.count ?? 0);
  if (bad > Math.max(BINARY_MIN, bytes.length * BINARY_SHARE)) {
    const what = nulCount > 0 ? `${nulCount} NUL byte${nulCount === 1 ? '' : 's'}` : `${invalid!.count} invalid UTF-8 sequences`;
    return { ok: false, reason: `it is binary, not SQL text (${what}): not parsed`, unreadable: false };
  }
  const problems: ContentProblem[] = [];
  if (invalid) {
    const offset = bytes.subarray(0, invalid.firstByte).toString('utf8').length;
    const more = invalid.count > 1 ? ` (and ${invalid.count - 1} more)` : '';
    problems.push({ message: `invalid byte sequence for encoding "UTF8": 0x${invalid.firstValue.toString(16).padStart(2, '0')}${more}`, offset });
  }
  if (nulCount > 0) {
    const more = nulCount > 1 ? ` (and ${nulCount - 1} more)` : '';
    problems.push({ message: `a NUL byte (0x00), which SQL text cannot hold${more}`, offset: firstNul });
    // Blanked, so the parser sees what follows it instead of a string cut short.
    text = text.replaceAll('\0', ' ');
  }
  problems.sort((a, b) => a.offset - b.offset);
  return { ok: true, text, problems };
}

/** Counts invalid UTF-8 sequences as the WHATWG decoder replaces them, and finds the first. */
function findInvalidUtf8(bytes: Buffer): { count: number; firstByte: number; firstValue: number } {
  let count = 0;
  let firstByte = -1;
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const width = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    let ok = width > 0 && i + width <= bytes.length;
    for (let k = 1; ok && k < width; k++) {
      const c = bytes[i + k]!;
      let lo = 0x80;
      let hi = 0xbf;
      if (k === 1 && b === 0xe0) lo = 0xa0;
      if (k === 1 && b === 0xed) hi = 0x9f;
      if (k === 1 && b === 0xf0) lo = 0x90;
      if (k === 1 && b === 0xf4) hi = 0x8f;
      ok = c >= lo && c <= hi;
    }
    if (ok) {
      i += width;
      continue;
    }
    if (firstByte < 0) firstByte = i;
    count++;
    i++;
  }
  return { count, firstByte, firstValue: firstByte >= 0 ? bytes[firstByte]! : 0 };
}
