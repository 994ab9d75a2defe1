/**
 * Parsing SQL scripts with the real PostgreSQL parser (libpg-query, WASM), with exact locations.
 *
 * The whole file is parsed at once when it can be (one WASM call per file); only a file that does
 * not parse is split into statements by the lexer and parsed statement by statement, so one bad
 * statement becomes one syntax error and the rest of the file is still analyzed.
 */
import { isPgParserLoaded, loadPgParser, parsePlpgsqlToJson, parseToJson, parseToJsonBytes } from './pg-parser.js';
import { lexScript, skipTrivia } from './lexer.js';
import { SourceText } from './source.js';

/** A libpg-query AST node: `{ NodeType: { ...fields } }` or a bare field object. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AstNode = Record<string, any>;

export interface SqlStatement {
  /** The node's type name, e.g. `CreateStmt`, `CreatePolicyStmt`. */
  kind: string;
  /** The node's fields (`{ relation, tableElts, ... }` for a `CreateStmt`). */
  node: AstNode;
  /** Character offsets of the statement in the file (start at its first token, end before `;`). */
  start: number;
  end: number;
  /** The byte offset that `location` fields inside `node` are relative to. */
  byteBase: number;
}

export interface SqlSyntaxError {
  message: string;
  /** Character offset in the file. */
  offset: number;
}

export interface ParsedScript {
  source: SourceText;
  statements: SqlStatement[];
  errors: SqlSyntaxError[];
  /** Statements the parser failed on (not syntax errors: PostgreSQL may accept them); not analyzed. */
  failures?: SqlSyntaxError[];
}

/** Loads the WASM parser once per process (or worker). */
export function loadSqlParser(): Promise<void> {
  return loadPgParser();
}

export function isSqlParserLoaded(): boolean {
  return isPgParserLoaded();
}

interface RawStatement {
  stmt: AstNode;
  stmt_location?: number;
  stmt_len?: number;
}

interface RawParse {
  stmts?: RawStatement[];
}

interface SqlErrorLike {
  message: string;
  /** 0-based position of the error in the parsed text, in code points (PostgreSQL counts characters). */
  cursor: number;
}

/**
 * Parses one SQL script. `loadSqlParser()` must have resolved. With `keep`, only statements of
 * those kinds are returned: the others are still parsed (a syntax error anywhere is reported) but
 * their trees are never built in JavaScript (see `keptStatements`).
 */
export function parseScript(text: string, keep: ReadonlySet<string> | null = null): ParsedScript {
  return parseScriptWithTree(text, keep).script;
}

let scriptParses = 0;

/** How many scripts this thread has parsed with `parseScript` (tests count them: a cache hit parses none). */
export function scriptParseCount(): number {
  return scriptParses;
}

/**
 * As `parseScript`, also returning the JSON text of the statement list the script was built from
 * (`{"stmts":[...]}`, the kept statements only with `keep`) when the file parsed as a whole: a
 * parse cache stores that text and rebuilds the same script from it (`scriptFromTreeJson`).
 * `tree` is null for a file parsed statement by statement (one with a syntax error).
 */
export function parseScriptWithTree(text: string, keep: ReadonlySet<string> | null = null): { script: ParsedScript; tree: string | null } {
  scriptParses++;
  const source = new SourceText(text);
  const statements: SqlStatement[] = [];
  const errors: SqlSyntaxError[] = [];

  if (skipTrivia(text, 0) >= text.length) return { script: { source, statements, errors }, tree: '{"stmts":[]}' };
  try {
    const whole = keep ? parseToJsonBytes(text, (bytes) => keptStatementsText(bytes, keep)) : parseToJson(text);
    if (!('error' in whole)) {
      let json = 'tree' in whole ? whole.tree : whole.json;
      let result: RawParse;
      try {
        result = JSON.parse(json) as RawParse;
      } catch {
        // A cut that went wrong (see keptStatements): the whole tree, filtered.
        const full = parseToJson(text);
        result = 'json' in full ? keptStatements(Buffer.from(full.json), keep!) : { stmts: [] };
        json = JSON.stringify(result);
      }
      collect(source, text, result, 0, 0, text.length, statements);
      return { script: { source, statements, errors }, tree: json };
    }
  } catch {
    // The whole file at once overflowed the stack or trapped: statement by statement finds where.
    statements.length = 0;
  }
  return { script: parseStatementByStatement(source, text, keep), tree: null };
}

/**
 * The script `parseScriptWithTree` built from `tree` (its JSON text) for `text`; null when the
 * tree is not such a statement list, or holds statements `keep` does not keep.
 */
export function scriptFromTreeJson(text: string, tree: unknown, keep: ReadonlySet<string> | null): ParsedScript | null {
  const stmts = (tree as RawParse | null)?.stmts;
  if (!Array.isArray(stmts)) return null;
  for (const s of stmts) {
    if (!s || typeof s.stmt !== 'object' || s.stmt === null) return null;
    const kind = Object.keys(s.stmt)[0];
    if (kind === undefined || (keep && !keep.has(kind))) return null;
    if (s.stmt_location !== undefined && (typeof s.stmt_location !== 'number' || s.stmt_location < 0)) return null;
  }
  const source = new SourceText(text);
  const statements: SqlStatement[] = [];
  collect(source, text, { stmts }, 0, 0, text.length, statements);
  return { source, statements, errors: [] };
}

/**
 * A file that does not parse as a whole: each statement the lexer finds is parsed alone, so one bad
 * statement is one syntax error, and one the parser fails on (a stack overflow on an expression
 * nested tens of thousands deep, which PostgreSQL accepts) is one failure; the rest is analyzed.
 */
function parseStatementByStatement(source: SourceText, text: string, keep: ReadonlySet<string> | null): ParsedScript {
  const statements: SqlStatement[] = [];
  const errors: SqlSyntaxError[] = [];
  const failures: SqlSyntaxError[] = [];
  let lexed: ReturnType<typeof lexScript>;
  try {
    lexed = lexScript(text);
  } catch (error) {
    return { source, statements, errors, failures: [{ message: failureReason(error), offset: skipTrivia(text, 0) }] };
  }
  if (lexed.changed) {
    try {
      const cleaned = tryParse(lexed.sanitized);
      if (cleaned.ok) {
        collect(source, lexed.sanitized, cleaned.result, 0, 0, text.length, statements);
        return { source, statements: keepOnly(statements, keep), errors };
      }
    } catch {
      statements.length = 0; // parsed statement by statement below
    }
  }

  for (const range of lexed.statements) {
    const chunk = lexed.sanitized.slice(range.start, range.end);
    const byteBase = source.byteOffset(range.start);
    let parsed: ReturnType<typeof tryParse>;
    try {
      parsed = tryParse(chunk);
      if (parsed.ok) collect(source, lexed.sanitized, parsed.result, byteBase, range.start, range.end, statements);
    } catch (error) {
      failures.push({ message: failureReason(error), offset: skipTrivia(text, range.start, range.end) });
      continue;
    }
    if (!parsed.ok) errors.push({ message: parsed.error.message, offset: range.start + codePointsToIndex(chunk, parsed.error.cursor) });
  }
  if (lexed.unterminatedAt !== null && !errors.some((e) => e.offset >= lexed.unterminatedAt!)) {
    errors.push({ message: 'unterminated quoted string, identifier, comment or dollar quote', offset: lexed.unterminatedAt });
  }
  errors.sort((a, b) => a.offset - b.offset);
  const script: ParsedScript = { source, statements: keepOnly(statements, keep), errors };
  if (failures.length > 0) script.failures = failures;
  return script;
}

/**
 * The UTF-16 index (as JavaScript strings, ESLint and editors count) of the code point at position
 * `codePoints` of `text`: PostgreSQL's error cursor counts characters, so a `’` or an emoji before
 * an error must not shift it.
 */
export function codePointsToIndex(text: string, codePoints: number): number {
  let index = 0;
  for (let n = 0; n < codePoints && index < text.length; n++) index += text.codePointAt(index)! > 0xffff ? 2 : 1;
  return index;
}

/** Why the parser failed on a statement, for a finding: never a stack trace. */
export function failureReason(error: unknown): string {
  if (error instanceof RangeError && /call stack/i.test(error.message)) return 'it is nested too deeply for rls-guard to parse (stack overflow)';
  // WebAssembly.RuntimeError: a trap (out-of-bounds access, unreachable) inside the parser.
  if (error instanceof Error && error.name === 'RuntimeError') return `the parser failed (${error.message})`;
  return `internal error: ${error instanceof Error ? error.message : String(error)}`;
}

function keepOnly(statements: SqlStatement[], keep: ReadonlySet<string> | null): SqlStatement[] {
  return keep ? statements.filter((s) => keep.has(s.kind)) : statements;
}

/** How each top-level statement starts in libpg-query's JSON: `{"stmt":{"<Kind>":`. */
const STATEMENT_OPENING = Buffer.from('{"stmt":{"');
const QUOTE = 0x22;
const CLOSE_BRACKET = 0x5d;

/**
 * Kept kinds whose statements are kept only when their JSON holds this text: data changes matter
 * to the model only on Storage's bucket table (src/model/replay-storage.ts), and a seed INSERT
 * of thousands of rows must not be decoded for nothing.
 */
const RELNAME_BUCKETS = Buffer.from('"relname":"buckets"');
const NARROWED_STATEMENT_KINDS: ReadonlyMap<string, Buffer> = new Map([
  ['InsertStmt', RELNAME_BUCKETS],
  ['UpdateStmt', RELNAME_BUCKETS],
  ['DeleteStmt', RELNAME_BUCKETS],
]);

/**
 * The statements of the `keep` kinds in a parse tree's JSON (UTF-8 bytes). JSON.parse is most
 * of the JavaScript cost of parsing, and a migration's data statements (seed INSERTs, UPDATE
 * fixes, indexes) can be most of its JSON, so the bytes are cut at their top-level statements and
 * only kept ones are decoded and parsed. libpg-query writes the tree as
 * `{"version":N,"stmts":[{"stmt":{"<Kind>":{...}},"stmt_location":N,"stmt_len":N},...]}`;
 * `{"stmt":{"` cannot occur inside a JSON string (its quotes would be escaped), and should a
 * nested node ever have a `stmt` field, a cut through it leaves unbalanced JSON: a kept piece
 * then fails JSON.parse and the whole text is parsed instead.
 */
export function keptStatements(json: Buffer, keep: ReadonlySet<string>): RawParse {
  const stmts: NonNullable<RawParse['stmts']> = [];
  for (const piece of keptPieces(json, keep)) {
    try {
      stmts.push(JSON.parse(piece) as RawStatement);
    } catch {
      const all = (JSON.parse(json.toString('utf8')) as RawParse).stmts ?? [];
      return { stmts: all.filter((s) => keep.has(Object.keys(s.stmt)[0]!)) };
    }
  }
  return { stmts };
}

/** `{"stmts":[...]}` with the JSON text of the kept top-level statements, unparsed (see `keptStatements`). */
function keptStatementsText(json: Buffer, keep: ReadonlySet<string>): string {
  return `{"stmts":[${keptPieces(json, keep).join(',')}]}`;
}

/** The JSON text of each top-level statement of a kept kind, unparsed (see `keptStatements`). */
function keptPieces(json: Buffer, keep: ReadonlySet<string>): string[] {
  const pieces: string[] = [];
  let at = json.indexOf(STATEMENT_OPENING);
  while (at >= 0) {
    const next = json.indexOf(STATEMENT_OPENING, at + STATEMENT_OPENING.length);
    const kindStart = at + STATEMENT_OPENING.length;
    const kind = json.toString('latin1', kindStart, json.indexOf(QUOTE, kindStart));
    // Up to the comma before the next statement, or the closing `]}` of the list.
    const end = next >= 0 ? next - 1 : json.lastIndexOf(CLOSE_BRACKET);
    const needle = NARROWED_STATEMENT_KINDS.get(kind);
    // A view, not a copy: the search stays within this statement.
    const wanted = keep.has(kind) && (!needle || json.subarray(kindStart, end).indexOf(needle) >= 0);
    if (wanted) pieces.push(json.toString('utf8', at, end));
    at = next;
  }
  return pieces;
}

/**
 * For a parse worker: the kept statements of a script as one JSON array text, cut but not parsed
 * (the main thread parses it: sending text costs a copy, sending objects a deserialization as
 * costly as parsing). Null when the script has a syntax error: the worker then parses it fully.
 */
export function keptStatementsJson(text: string, keep: ReadonlySet<string>): string | null {
  if (skipTrivia(text, 0) >= text.length) return '[]';
  const parsed = parseToJsonBytes(text, (bytes) => `[${keptPieces(bytes, keep).join(',')}]`);
  return 'tree' in parsed ? parsed.tree : null;
}

/**
 * The script a worker's `keptStatementsJson` describes. A cut that went wrong leaves JSON that
 * does not parse or statements of other kinds: the script is then parsed here instead.
 */
export function scriptFromKeptJson(text: string, keptJson: string, keep: ReadonlySet<string>): ParsedScript {
  const source = new SourceText(text);
  let stmts: RawStatement[] | null = null;
  try {
    stmts = JSON.parse(keptJson) as RawStatement[];
  } catch {
    stmts = null;
  }
  if (!stmts || !stmts.every((s) => s && typeof s.stmt === 'object' && keep.has(Object.keys(s.stmt)[0]!))) return parseScript(text, keep);
  const statements: SqlStatement[] = [];
  collect(source, text, { stmts }, 0, 0, text.length, statements);
  return { source, statements, errors: [] };
}

function tryParse(text: string): { ok: true; result: RawParse } | { ok: false; error: SqlErrorLike } {
  if (skipTrivia(text, 0) >= text.length) return { ok: true, result: {} };
  const parsed = parseToJson(text);
  return 'json' in parsed ? { ok: true, result: JSON.parse(parsed.json) as RawParse } : { ok: false, error: parsed.error };
}

function collect(
  source: SourceText,
  parsedText: string,
  result: RawParse,
  byteBase: number,
  rangeStart: number,
  rangeEnd: number,
  into: SqlStatement[],
): void {
  for (const raw of result.stmts ?? []) {
    const kind = Object.keys(raw.stmt)[0]!;
    const startByte = byteBase + (raw.stmt_location ?? 0);
    let start = Math.max(rangeStart, source.charOffset(startByte));
    start = skipTrivia(parsedText, start, rangeEnd);
    const end = raw.stmt_len ? source.charOffset(startByte + raw.stmt_len) : trimEnd(parsedText, rangeEnd);
    into.push({ kind, node: raw.stmt[kind] as AstNode, start, end: Math.max(start, end), byteBase });
  }
}

function trimEnd(text: string, end: number): number {
  let e = end;
  while (e > 0 && /\s|;/.test(text[e - 1]!)) e--;
  return e;
}

/** Parses a SQL fragment (a function body, an EXECUTE string); returns null when it does not parse. */
export function parseFragment(sql: string): AstNode[] | null {
  const parsed = tryParse(sql);
  if (!parsed.ok) return null;
  return (parsed.result.stmts ?? []).map((s) => s.stmt);
}

/**
 * Parses several SQL fragments (each one statement, as PL/pgSQL hands its expressions to the SQL
 * parser) with one parser call when they all parse: a function body holds many small fragments,
 * and a call costs more than a short parse. Each fragment's statements are returned in order;
 * null for a fragment that does not parse. Locations inside are offsets into the joined text:
 * use the trees for their structure only.
 */
export function parseFragments(sqls: readonly string[]): (AstNode[] | null)[] {
  if (sqls.length < 2) return sqls.map(parseFragment);
  // A newline before the `;` ends a trailing line comment.
  const separator = '\n;\n';
  const joined = tryParse(sqls.join(separator));
  const stmts = joined.ok ? (joined.result.stmts ?? []) : [];
  if (stmts.length === sqls.length) {
    // Each statement must start inside its own fragment; otherwise (a fragment with a stray
    // quote or comment swallowing the next) parse them one by one.
    let start = 0;
    const inPlace = stmts.every((stmt, i) => {
      const end = start + Buffer.byteLength(sqls[i]!);
      const location = stmt.stmt_location ?? 0;
      const ok = location >= start && location < end;
      start = end + separator.length;
      return ok;
    });
    if (inPlace) return stmts.map((stmt) => [stmt.stmt]);
  }
  return sqls.map(parseFragment);
}

/** Parses a PL/pgSQL function (the whole CREATE FUNCTION or DO statement text); null on failure. */
export function parsePlpgsql(createStatementSql: string): AstNode | null {
  const json = parsePlpgsqlToJson(createStatementSql);
  return json === null ? null : (JSON.parse(json) as AstNode);
}

/**
 * Parses a standalone SQL expression (a policy's `pg_policies.qual`, say) into its AST;
 * null when it does not parse. Locations inside are offsets into `SELECT <expr>`.
 */
export function parseExpression(expr: string): AstNode | null {
  const stmts = parseFragment(`SELECT ${expr}`);
  const target = stmts?.[0]?.SelectStmt?.targetList;
  if (!stmts || stmts.length !== 1 || target?.length !== 1) return null;
  return (target[0].ResTarget?.val as AstNode) ?? null;
}
