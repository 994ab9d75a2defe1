/**
 * A small SQL lexer that knows exactly as much as psql does about statement boundaries:
 * quotes, dollar quotes, comments, parentheses, `BEGIN ATOMIC` bodies, psql meta-commands
 * and psql variables. It never interprets SQL; it only finds where statements start and end
 * and produces a same-length "sanitized" text the real PostgreSQL parser accepts:
 *
 * - psql meta-commands (`\echo`, `\set`, `\i`, ...) become spaces (they end a statement, as `\g` does);
 * - psql variables become same-length placeholders: `:name` -> `_name`, `:'name'` -> `'_name'`,
 *   `:"name"` -> `"_name"`, so byte offsets (and therefore locations) are unchanged.
 */

export interface StatementRange {
  /** Character offset of the first character of the statement text (after leading trivia). */
  start: number;
  /** Character offset just past the statement (before its terminating semicolon). */
  end: number;
}

export interface CommentRange {
  type: 'LineComment' | 'BlockComment';
  /** Character offsets of the whole comment, delimiters included. */
  start: number;
  end: number;
}

export interface LexedScript {
  comments: CommentRange[];
  /** The text with psql meta-commands blanked and psql variables replaced by placeholders. */
  sanitized: string;
  /** True when `sanitized` differs from the input. */
  changed: boolean;
  statements: StatementRange[];
  /** Character offset of an unterminated quote, comment or dollar quote, if any. */
  unterminatedAt: number | null;
}

const isIdentStart = (c: number): boolean =>
  (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 128;
const isIdentChar = (c: number): boolean => isIdentStart(c) || (c >= 48 && c <= 57) || c === 36;
const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;

/** Skips whitespace and comments from `from`; returns the offset of the next token (or text length). */
export function skipTrivia(text: string, from: number, to = text.length): number {
  let i = from;
  while (i < to) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
    } else if (c === 45 && text.charCodeAt(i + 1) === 45) {
      const nl = text.indexOf('\n', i);
      i = nl === -1 ? to : nl + 1;
    } else if (c === 47 && text.charCodeAt(i + 1) === 42) {
      i = skipBlockComment(text, i);
    } else {
      break;
    }
  }
  return Math.min(i, to);
}

function skipBlockComment(text: string, i: number): number {
  // Block comments nest in PostgreSQL.
  let depth = 0;
  const n = text.length;
  while (i < n) {
    if (text.charCodeAt(i) === 47 && text.charCodeAt(i + 1) === 42) {
      depth++;
      i += 2;
    } else if (text.charCodeAt(i) === 42 && text.charCodeAt(i + 1) === 47) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  return -1;
}

/** Returns the end of a dollar-quote opening tag starting at `i` (`$tag$`), or -1 if there is none. */
export function dollarTagEnd(text: string, i: number): number {
  let j = i + 1;
  const first = text.charCodeAt(j);
  if (first === 36) return j + 1; // $$
  if (!isIdentStart(first)) return -1;
  j++;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (c === 36) return j + 1;
    if (!(isIdentStart(c) || (c >= 48 && c <= 57))) return -1;
    j++;
  }
  return -1;
}

export function lexScript(text: string): LexedScript {
  const n = text.length;
  const statements: StatementRange[] = [];
  const comments: CommentRange[] = [];
  let out: string[] | null = null; // lazily built sanitized text pieces
  let copiedUpTo = 0;
  const replace = (from: number, to: number, replacement: string) => {
    out ??= [];
    out.push(text.slice(copiedUpTo, from), replacement);
    copiedUpTo = to;
  };

  let stmtStart = -1; // offset of the first token of the current statement
  let lastTokenEnd = -1;
  let parenDepth = 0;
  let atomicDepth = 0;
  // Words of the current statement that matter for boundaries: its first word (CREATE enables
  // BEGIN ATOMIC tracking; COPY ... FROM STDIN is followed by data) and the previous word.
  let firstWord = '';
  let lastWord = '';
  let copyFromStdin = false;
  let unterminatedAt: number | null = null;

  const endStatement = (endAt: number) => {
    if (stmtStart >= 0) statements.push({ start: stmtStart, end: endAt });
    stmtStart = -1;
    lastTokenEnd = -1;
    parenDepth = 0;
    atomicDepth = 0;
    firstWord = lastWord = '';
  };
  const token = (start: number, end: number) => {
    if (stmtStart < 0) stmtStart = start;
    lastTokenEnd = end;
  };

  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === 45 && text.charCodeAt(i + 1) === 45) {
      const nl = text.indexOf('\n', i);
      const end = nl === -1 ? n : nl;
      comments.push({ type: 'LineComment', start: i, end: end > i && text.charCodeAt(end - 1) === 13 ? end - 1 : end });
      i = end;
      continue;
    }
    if (c === 47 && text.charCodeAt(i + 1) === 42) {
      const end = skipBlockComment(text, i);
      if (end < 0) {
        unterminatedAt ??= i;
        break;
      }
      comments.push({ type: 'BlockComment', start: i, end });
      i = end;
      continue;
    }
    if (c === 39) {
      // '...' with '' escapes; E'...' also honours backslash escapes.
      const prev = i > 0 ? text.charCodeAt(i - 1) : 0;
      const escapes = (prev === 69 || prev === 101) && !(i > 1 && isIdentChar(text.charCodeAt(i - 2)));
      let j = i + 1;
      for (;;) {
        if (j >= n) {
          j = -1;
          break;
        }
        const d = text.charCodeAt(j);
        if (escapes && d === 92) {
          j += 2;
          continue;
        }
        if (d === 39) {
          if (text.charCodeAt(j + 1) === 39) {
            j += 2;
            continue;
          }
          break;
        }
        j++;
      }
      if (j < 0) {
        unterminatedAt ??= i;
        token(i, n);
        break;
      }
      token(stmtStart < 0 && escapes ? i - 1 : i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === 34) {
      let j = i + 1;
      for (;;) {
        j = text.indexOf('"', j);
        if (j < 0 || text.charCodeAt(j + 1) !== 34) break;
        j += 2;
      }
      if (j < 0) {
        unterminatedAt ??= i;
        token(i, n);
        break;
      }
      token(i, j + 1);
      lastWord = text.slice(i + 1, j);
      i = j + 1;
      continue;
    }
    if (c === 36 && !(i > 0 && isIdentChar(text.charCodeAt(i - 1)))) {
      const tagEnd = dollarTagEnd(text, i);
      if (tagEnd > 0) {
        const tag = text.slice(i, tagEnd);
        const close = text.indexOf(tag, tagEnd);
        if (close < 0) {
          unterminatedAt ??= i;
          token(i, n);
          break;
        }
        token(i, close + tag.length);
        i = close + tag.length;
        continue;
      }
    }
    if (c === 92) {
      // psql meta-command: runs to the end of the line and ends the statement being typed.
      const nl = text.indexOf('\n', i);
      const end = nl === -1 ? n : nl;
      endStatement(lastTokenEnd);
      replace(i, end, ' '.repeat(end - i));
      i = end;
      continue;
    }
    if (c === 58) {
      // psql variables :name, :'name', :"name" (but not the :: cast operator).
      const next = text.charCodeAt(i + 1);
      const prev = i > 0 ? text.charCodeAt(i - 1) : 0;
      if (prev !== 58 && next !== 58) {
        if (next === 39 || next === 34) {
          const close = text.indexOf(String.fromCharCode(next), i + 2);
          if (close > i + 2 && !text.slice(i + 2, close).includes('\n')) {
            const q = String.fromCharCode(next);
            replace(i, close + 1, q + '_' + text.slice(i + 2, close) + q);
            token(i, close + 1);
            i = close + 1;
            continue;
          }
        } else if (isIdentStart(next)) {
          let j = i + 2;
          while (j < n && isIdentChar(text.charCodeAt(j))) j++;
          replace(i, i + 1, '_');
          token(i, j);
          i = j;
          continue;
        }
      }
    }
    if (c === 59) {
      if (parenDepth === 0 && atomicDepth === 0) {
        const wasCopy = copyFromStdin;
        endStatement(lastTokenEnd);
        copyFromStdin = false;
        i++;
        if (wasCopy) {
          // COPY ... FROM STDIN: data lines follow up to a line holding only "\.".
          const endMarker = text.indexOf('\n\\.', i);
          const stop = endMarker === -1 ? n : endMarker + 3;
          replace(i, stop, text.slice(i, stop).replace(/[^\n]/g, ' '));
          i = stop;
        }
        continue;
      }
      token(i, i + 1);
      i++;
      continue;
    }
    if (c === 40) parenDepth++;
    else if (c === 41 && parenDepth > 0) parenDepth--;
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentChar(text.charCodeAt(j))) j++;
      // An E'..' / U&'..' / B'..' / X'..' prefix is handled by the quote branch.
      if (j < n && text.charCodeAt(j) === 39 && j - i === 1) {
        i = j;
        if (stmtStart < 0) stmtStart = j - 1;
        continue;
      }
      const word = text.slice(i, j).toLowerCase();
      token(i, j);
      if (!firstWord) firstWord = word;
      if (firstWord === 'create' && parenDepth === 0) {
        if (word === 'atomic' && lastWord === 'begin') atomicDepth++;
        else if (atomicDepth > 0 && word === 'case') atomicDepth++;
        else if (atomicDepth > 0 && word === 'end') atomicDepth--;
      }
      if (firstWord === 'copy' && word === 'stdin' && lastWord === 'from') copyFromStdin = true;
      lastWord = word;
      i = j;
      continue;
    }
    token(i, i + 1);
    i++;
  }
  endStatement(lastTokenEnd);
  let sanitized = text;
  if (out) {
    (out as string[]).push(text.slice(copiedUpTo));
    sanitized = (out as string[]).join('');
  }
  return { sanitized, changed: sanitized !== text, statements, comments, unterminatedAt };
}
