/**
 * `rls-guard/sql`: PostgreSQL migrations as an ESLint language (ESLint's `languages` API, the
 * shape of @eslint/json and @eslint/css). Parsing never fails: syntax errors are the
 * `parse-error` rule's findings, so the rest of the file is still linted, as `rls-guard check` does.
 */
import { lexScript } from '../sql/lexer.js';
import { cachedParseScript, processParseCache } from '../sql/parse-cache.js';
import type { SourceText } from '../sql/source.js';
import { SQL_VISITOR_KEYS, SqlSourceCode, type SqlLocation, type SqlScript } from './sql-source-code.js';

function loc(source: SourceText, start: number, end: number): SqlLocation {
  const s = source.position(start);
  const e = source.position(end);
  return { start: { line: s.line, column: s.column }, end: { line: e.line, column: e.column } };
}

export const sqlLanguage = {
  fileType: 'text' as const,
  lineStart: 1 as const,
  columnStart: 1 as const,
  nodeTypeKey: 'type',
  visitorKeys: SQL_VISITOR_KEYS,
  defaultLanguageOptions: {},

  /**
   * The SQL language has no options of its own. A flat config object without `files` (the base
   * object of typescript-eslint's configs, `@eslint/js`'s, a `{ languageOptions: { globals } }`
   * object) merges its JavaScript language options into every file's config, `.sql` included:
   * they are accepted and ignored, as @eslint/json and @eslint/css ignore options they do not
   * define, so combining presets never fails.
   */
  validateLanguageOptions(_options: Record<string, unknown>): void {},

  parse(file: { body: string | Uint8Array }): { ok: true; ast: SqlScript } {
    const text = typeof file.body === 'string' ? file.body : new TextDecoder().decode(file.body);
    const script = cachedParseScript(processParseCache(), text);
    const { comments } = lexScript(text);
    const ast: SqlScript = {
      type: 'Script',
      body: script.statements.map((s) => ({ type: 'Statement', kind: s.kind, pg: s.node, range: [s.start, s.end], loc: loc(script.source, s.start, s.end) })),
      comments: comments.map((c) => ({
        type: c.type,
        value: c.type === 'LineComment' ? text.slice(c.start + 2, c.end) : text.slice(c.start + 2, c.end - 2),
        range: [c.start, c.end],
        loc: loc(script.source, c.start, c.end),
      })),
      range: [0, text.length],
      loc: loc(script.source, 0, text.length),
    };
    return { ok: true, ast };
  },

  createSourceCode(file: { body: string | Uint8Array }, input: { ast: SqlScript }): SqlSourceCode {
    const text = typeof file.body === 'string' ? file.body : new TextDecoder().decode(file.body);
    return new SqlSourceCode({ text, ast: input.ast });
  },
};
