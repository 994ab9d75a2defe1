/**
 * `rls-guard/sql`: PostgreSQL migrations as an ESLint language (ESLint's `languages` API, the
 * shape of @eslint/json and @eslint/css). Parsing never fails: syntax errors are the
 * `parse-error` rule's findings, so the rest of the file is still linted, as `rls-guard check` does.
 */
import { lexScript } from '../sql/lexer.js';
import { parseScript } from '../sql/parse.js';
import type { SourceText } from '../sql/source.js';
import { SqlSourceCode, type SqlLocation, type SqlProgram } from './sql-source-code.js';

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
  visitorKeys: { Program: ['body'], Statement: [] },
  defaultLanguageOptions: {},

  validateLanguageOptions(options: Record<string, unknown>): void {
    const unknown = Object.keys(options ?? {});
    if (unknown.length > 0) throw new TypeError(`rls-guard/sql takes no language options (got ${unknown.join(', ')})`);
  },

  parse(file: { body: string | Uint8Array }): { ok: true; ast: SqlProgram } {
    const text = typeof file.body === 'string' ? file.body : new TextDecoder().decode(file.body);
    const script = parseScript(text);
    const { comments } = lexScript(text);
    const ast: SqlProgram = {
      type: 'Program',
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

  createSourceCode(file: { body: string | Uint8Array }, input: { ast: SqlProgram }): SqlSourceCode {
    const text = typeof file.body === 'string' ? file.body : new TextDecoder().decode(file.body);
    return new SqlSourceCode({ text, ast: input.ast });
  },
};
