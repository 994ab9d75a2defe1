/**
 * SQL written inside application code — string literals, template literals (tagged or not) and
 * `+` concatenations — turned into SQL text and parsed with the same libpg-query parser as the
 * migrations. Nothing here looks at SQL text with regular expressions: every fact is read off
 * the parser's AST.
 *
 * Interpolations become placeholders. A tagged template's `${x}` is sent by its library as a bind
 * parameter, so it becomes `$1`, `$2`, ... in order. Anything pasted into the text (an untagged
 * template's `${x}`, a concatenated operand, `sql.raw(x)`) becomes `$10001`, `$10002`, ...: a bind
 * parameter where it stands bare, a visible marker inside a quoted literal (`'$10001'`), and in
 * both cases distinct from the `$1` the author wrote for a real bind parameter.
 */
import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import { loadSqlParser, parseFragment, type AstNode } from '../sql/parse.js';

await loadSqlParser();

/** `bind`: sent to the server as a parameter; `raw`: pasted into the SQL text. */
export type InterpolationKind = 'bind' | 'raw';

export interface Interpolation {
  /** The placeholder number standing for it in `text` (`$n`). */
  number: number;
  expression: TSESTree.Node;
  kind: InterpolationKind;
}

export interface EmbeddedSql {
  /** The expression the SQL was read from. */
  readonly node: TSESTree.Node;
  readonly text: string;
  readonly interpolations: Interpolation[];
  /**
   * The parsed statements; null when the text does not parse as SQL. Parsed on first read: most
   * SQL in an app is only ever asked about its client, or is skipped by a rule's pre-filter.
   */
  readonly statements: AstNode[] | null;
  /** True when the text came from a tagged template (its `${}` are bind parameters). */
  readonly tagged: boolean;
  /**
   * Where the value of bind parameter `$n` is in the call's list of values: index `n - 1` holds its
   * position there. Absent when `$n` is the n-th value, as node-postgres and Prisma number them;
   * Knex's `?` and `??` placeholders share one list, of which only the `?` become `$n`.
   */
  readonly valuePositions?: readonly number[];
}

/** Placeholder numbers from here up stand for text pasted into the SQL, never a bind parameter. */
export const RAW_PLACEHOLDER_BASE = 10001;

const parseCache = new Map<string, AstNode[] | null>();

/** Parses SQL text once per distinct string (a file is linted many times in an editor). */
export function parseSqlText(text: string): AstNode[] | null {
  if (parseCache.has(text)) return parseCache.get(text)!;
  const statements = parseFragment(text);
  if (parseCache.size > 5000) parseCache.clear();
  parseCache.set(text, statements);
  return statements;
}

/**
 * Reads SQL from a template's quasis and expressions. `isRawExpression` says which tagged
 * interpolations are pasted verbatim (`${sql.raw(x)}`, `${sql.unsafe(x)}`).
 */
export function sqlFromTemplate(
  node: TSESTree.Node,
  quasi: TSESTree.TemplateLiteral,
  tagged: boolean,
  isRawExpression: (expression: TSESTree.Expression) => boolean,
): EmbeddedSql {
  const builder = new SqlTextBuilder();
  quasi.quasis.forEach((element, i) => {
    builder.text(element.value.cooked ?? element.value.raw);
    const expression = quasi.expressions[i];
    if (expression) builder.interpolate(expression, tagged && !isRawExpression(expression) ? 'bind' : 'raw');
  });
  return builder.finish(node, tagged);
}

/** Per expression node: every rule visiting the same call reads its SQL once. */
const expressionSqlCache = new WeakMap<TSESTree.Node, EmbeddedSql | null>();

/** SQL from a string literal, untagged template or `+` concatenation; null for anything else. */
export function sqlFromExpression(node: TSESTree.Node): EmbeddedSql | null {
  let sql = expressionSqlCache.get(node);
  if (sql === undefined) {
    const builder = new SqlTextBuilder();
    sql = appendUntagged(node, builder, true) ? builder.finish(node, false) : null;
    expressionSqlCache.set(node, sql);
  }
  return sql;
}

function appendUntagged(node: TSESTree.Node, builder: SqlTextBuilder, top: boolean): boolean {
  if (node.type === AST_NODE_TYPES.Literal) {
    if (typeof node.value === 'string') {
      builder.text(node.value);
      return true;
    }
    if (top) return false;
    builder.text(String(node.value));
    return true;
  }
  if (node.type === AST_NODE_TYPES.TemplateLiteral) {
    node.quasis.forEach((element, i) => {
      builder.text(element.value.cooked ?? element.value.raw);
      const expression = node.expressions[i];
      if (expression) builder.interpolate(expression, 'raw');
    });
    return true;
  }
  if (node.type === AST_NODE_TYPES.BinaryExpression && node.operator === '+') {
    // A concatenation is SQL only if some operand is literal text; `a + b` of two variables is not.
    if (top && !hasLiteralText(node)) return false;
    if (!appendUntagged(node.left, builder, false)) builder.interpolate(node.left, 'raw');
    if (!appendUntagged(node.right, builder, false)) builder.interpolate(node.right, 'raw');
    return true;
  }
  return false;
}

function hasLiteralText(node: TSESTree.Node): boolean {
  if (node.type === AST_NODE_TYPES.Literal) return typeof node.value === 'string';
  if (node.type === AST_NODE_TYPES.TemplateLiteral) return true;
  if (node.type === AST_NODE_TYPES.BinaryExpression && node.operator === '+') return hasLiteralText(node.left) || hasLiteralText(node.right);
  return false;
}

class SqlTextBuilder {
  private parts: string[] = [];
  private interpolations: Interpolation[] = [];
  private bindCount = 0;
  private rawCount = 0;

  text(value: string): void {
    this.parts.push(value);
  }

  interpolate(expression: TSESTree.Node, kind: InterpolationKind): void {
    const number = kind === 'bind' ? ++this.bindCount : RAW_PLACEHOLDER_BASE + this.rawCount++;
    this.interpolations.push({ number, expression, kind });
    this.parts.push(`$${number}`);
  }

  finish(node: TSESTree.Node, tagged: boolean): EmbeddedSql {
    return new LazilyParsedSql(node, this.parts.join(''), this.interpolations, tagged);
  }
}

class LazilyParsedSql implements EmbeddedSql {
  /** undefined until the first read of `statements`. */
  private parsed: AstNode[] | null | undefined;

  constructor(
    readonly node: TSESTree.Node,
    readonly text: string,
    readonly interpolations: Interpolation[],
    readonly tagged: boolean,
    readonly valuePositions?: readonly number[],
  ) {}

  get statements(): AstNode[] | null {
    if (this.parsed === undefined) this.parsed = parseSqlText(this.text);
    return this.parsed;
  }
}

/**
 * Knex's raw SQL (`knex.raw(text, bindings)`) as PostgreSQL receives it. Knex replaces, anywhere
 * in the text (it does not look at quotes), `\\?` with a literal `?`, `??` with the next binding
 * as a quoted identifier, and `?` with the next binding as a bind parameter, numbered `$1`, `$2`, ...
 * over the `?` alone (knex/lib/raw.js, then the PostgreSQL client's `positionBindings`).
 *
 * An identifier binding written as a string literal becomes that identifier (`"orders"`, split at
 * dots as Knex's `wrapIdentifier` does); any other becomes a placeholder for pasted text, as a
 * template's `${table}` does. The result has `valuePositions` (empty without a `?`): it is Knex's.
 */
export function knexRawSql(sql: EmbeddedSql, bindings: readonly (TSESTree.Node | null)[] | null): EmbeddedSql {
  const text = sql.text;
  let out = '';
  let binding = 0;
  let rawCount = sql.interpolations.filter((i) => i.kind === 'raw').length;
  const interpolations = [...sql.interpolations];
  const valuePositions: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\' && text[i + 1] === '?') {
      out += '?';
      i++;
    } else if (ch === '?' && text[i + 1] === '?') {
      const value = bindings?.[binding] ?? null;
      if (value?.type === AST_NODE_TYPES.Literal && typeof value.value === 'string' && value.value.length > 0) {
        out += value.value.split('.').map((part) => `"${part.replaceAll('"', '""')}"`).join('.');
      } else {
        const number = RAW_PLACEHOLDER_BASE + rawCount++;
        if (value) interpolations.push({ number, expression: value, kind: 'raw' });
        out += `$${number}`;
      }
      binding++;
      i++;
    } else if (ch === '?') {
      valuePositions.push(binding++);
      out += `$${valuePositions.length}`;
    } else {
      out += ch;
    }
  }
  return new LazilyParsedSql(sql.node, out, interpolations, sql.tagged, valuePositions);
}

// ---------------------------------------------------------------------------------------------
// Pre-filters: can this text hold the statement a rule looks for at all?
//
// They never find anything: the facts still come from the AST. They only let a rule skip parsing
// text that cannot contain what it looks for, and each must therefore be sound — false only when
// the parser could not produce the construct from this text. The argument, from PostgreSQL's
// lexer (scan.l, which libpg-query compiles unchanged):
//
// - A keyword is an unquoted identifier token looked up in the keyword list, ignoring ASCII case.
//   It cannot be quoted (`"set"` is an identifier, not the keyword) or spelled with escapes, and a
//   comment between its letters splits it into two tokens. So the keyword is in the text as its
//   letters in some ASCII case.
// - The identifier rule takes the longest run of `[A-Za-z0-9_$]` and bytes >= 0x80 (every
//   non-ASCII character in UTF-8), so the character after a keyword is none of those. No token
//   other than an identifier ends in a letter, `_` or a non-ASCII byte (strings and quoted names
//   end in a quote, numbers and parameters in a digit or `.`; a hex number glued to letters, as
//   `0xfaset`, is the error "trailing junk"), so the character before is none of those either.
//   Digits and `$` before a word do not count as glued (`$1set` lexes as `$1 set`).
// - A function name is an identifier: unquoted it folds ASCII case (`SET_CONFIG`), quoted it is
//   exact (`"set_config"`), with the same boundaries on either side (the quotes, for a quoted
//   one). The one other spelling is a Unicode-escaped identifier, `U&"\0073et_config"` (the lexer
//   rule is `[uU]&"`, nothing between): any text with one is never skipped.
//
// What the rules look for, and the words it needs:
// - a setting write (`settingWrites`): a `VariableSetStmt` comes only from grammar rules that
//   start with the keyword SET (`SET x`, `SET LOCAL`, `SET ROLE`, `ALTER ... SET`, a function's
//   `SET` clause; `RESET` is a write of neither kind), or a call of the function `set_config`;
// - `startsTransaction`: `BEGIN` or `START TRANSACTION`;
// - `ALTER TABLE ... DISABLE ROW LEVEL SECURITY` / `NO FORCE ROW LEVEL SECURITY`: the keyword SECURITY.

/** False only when the text cannot hold a `SET` or a `set_config(...)` call (see above). */
export function mayWriteSetting(text: string): boolean {
  return hasWord(text, 'set') || hasWord(text, 'set_config') || hasUnicodeIdentifier(text);
}

/** False only when the text cannot hold `BEGIN` or `START TRANSACTION`. */
export function mayStartTransaction(text: string): boolean {
  return hasWord(text, 'begin') || hasWord(text, 'start');
}

/** False only when the text cannot hold `ALTER TABLE ... DISABLE / NO FORCE ROW LEVEL SECURITY`. */
export function mayChangeRowSecurity(text: string): boolean {
  return hasWord(text, 'security');
}

/**
 * Does the text hold `word` (lower-case ASCII letters and `_`) in any ASCII case, with no
 * identifier character glued to it on either side? Anywhere: in strings and comments too.
 */
export function hasWord(text: string, word: string): boolean {
  const last = text.length - word.length;
  const first = word.charCodeAt(0);
  for (let i = 0; i <= last; i++) {
    const c = text.charCodeAt(i);
    if ((c !== first && c !== first - 0x20) || !matchesAt(text, i, word)) continue;
    if (i > 0 && gluedBefore(text.charCodeAt(i - 1))) continue;
    if (i < last && gluedAfter(text.charCodeAt(i + word.length))) continue;
    return true;
  }
  return false;
}

function matchesAt(text: string, at: number, word: string): boolean {
  for (let j = 0; j < word.length; j++) {
    const w = word.charCodeAt(j);
    const c = text.charCodeAt(at + j);
    // A lower-case ASCII letter also matches its upper case (0x20 lower); anything else exactly.
    if (c !== w && !(w >= 0x61 && w <= 0x7a && c === w - 0x20)) return false;
  }
  return true;
}

/** A letter, `_` or non-ASCII character before a word makes it part of a longer identifier. */
function gluedBefore(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c >= 0x80;
}

/** After a word, digits and `$` continue the identifier too. */
function gluedAfter(c: number): boolean {
  return gluedBefore(c) || (c >= 0x30 && c <= 0x39) || c === 0x24;
}

/** `U&"..."`: an identifier spelled with Unicode escapes. */
function hasUnicodeIdentifier(text: string): boolean {
  return text.includes('U&"') || text.includes('u&"');
}

// ---------------------------------------------------------------------------------------------
// Facts read off the parsed statements.

function unwrap(node: AstNode | null | undefined): [string, AstNode] | null {
  if (!node || typeof node !== 'object') return null;
  const kind = Object.keys(node)[0];
  return kind ? [kind, node[kind] as AstNode] : null;
}

/** libpg-query node type names are capitalized (`SelectStmt`); field names are not (`targetList`). */
function isTypeName(key: string): boolean {
  const first = key.charCodeAt(0);
  return first >= 65 && first <= 90;
}

/** Visits every node of a libpg-query AST as `(typeName, fields)`. */
export function walkSql(node: unknown, visit: (kind: string, fields: AstNode) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) walkSql(item, visit);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const fields = node as AstNode;
  for (const key in fields) {
    const value = fields[key] as unknown;
    // Leaves (strings, numbers, booleans) hold no nodes: skip the call.
    if (!value || typeof value !== 'object') continue;
    if (isTypeName(key) && !Array.isArray(value)) visit(key, value as AstNode);
    walkSql(value, visit);
  }
}

/** Statements whose target table is a bare `relation` field. */
const RELATION_STATEMENTS = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'CopyStmt', 'AlterTableStmt']);

/**
 * The tables a statement list reads or writes (`schema.table` when qualified), leaving out the
 * names of its own CTEs. Functions in the select list or FROM are not tables.
 */
export function tablesTouched(statements: AstNode[]): string[] {
  const tables = new Set<string>();
  const cteNames = new Set<string>();
  walkSql(statements, (kind, fields) => {
    if (kind === 'CommonTableExpr' && typeof fields.ctename === 'string') cteNames.add(fields.ctename);
  });
  walkSql(statements, (kind, fields) => {
    if (kind !== 'RangeVar') return;
    const relname = fields.relname as string | undefined;
    if (!relname) return;
    const schema = fields.schemaname as string | undefined;
    if (!schema && cteNames.has(relname)) return;
    tables.add(schema ? `${schema}.${relname}` : relname);
  });
  // INSERT/UPDATE/DELETE/TRUNCATE targets are bare `relation` objects, not `RangeVar` nodes.
  walkSql(statements, (kind, fields) => {
    if (!RELATION_STATEMENTS.has(kind)) return;
    const relation = fields.relation as AstNode | undefined;
    if (relation?.relname) tables.add(relation.schemaname ? `${relation.schemaname}.${relation.relname}` : relation.relname);
  });
  return [...tables];
}

export interface SettingWrite {
  /** The setting's name, lower-cased as PostgreSQL folds GUC names. */
  setting: string;
  via: 'SET' | 'set_config';
  /** true: `SET LOCAL` / `set_config(..., true)`; false: session level; null: decided at run time. */
  local: boolean | null;
  /** The value expression (absent for `SET x TO DEFAULT`). */
  value: AstNode | undefined;
  /** The whole statement this write belongs to. */
  statement: AstNode;
  /**
   * `set_config($1, ...)`: the setting's name is bind parameter `$n` (`setting` is then '' until
   * the call's values are read: see `resolvedSettingWrites`).
   */
  nameParameter?: number;
  /** `set_config(..., $n)`: whether it is local is bind parameter `$n`. */
  localParameter?: number;
  /** `set_config(..., $n, ...)`: the value is bind parameter `$n` (an author's `$n`, not a tagged template's `${}`). */
  valueParameter?: number;
  /** The value, when it is a bind parameter the call gives as a constant (see `resolvedSettingWrites`). */
  valueConstant?: string | number | boolean;
}

/**
 * Parsed statement lists are shared by every site and rule that sees the same text (see
 * `parseSqlText`), so their writes are read off once per list.
 */
const settingWritesCache = new WeakMap<AstNode[], readonly SettingWrite[]>();

/** Every `SET` and `set_config(...)` in the statements, in order. */
export function settingWrites(statements: AstNode[]): readonly SettingWrite[] {
  let writes = settingWritesCache.get(statements);
  if (!writes) {
    writes = findSettingWrites(statements);
    settingWritesCache.set(statements, writes);
  }
  return writes;
}

function findSettingWrites(statements: AstNode[]): SettingWrite[] {
  const writes: SettingWrite[] = [];
  for (const statement of statements) {
    walkSql(statement, (kind, fields) => {
      if (kind === 'VariableSetStmt' && typeof fields.name === 'string' && fields.kind !== 'VAR_RESET' && fields.kind !== 'VAR_RESET_ALL') {
        writes.push({
          setting: fields.name.toLowerCase(),
          via: 'SET',
          local: fields.is_local === true,
          value: (fields.args as AstNode[] | undefined)?.[0],
          statement,
        });
      }
      if (kind === 'FuncCall' && isSetConfig(fields)) {
        const args = (fields.args as AstNode[] | undefined) ?? [];
        const name = constantString(args[0]);
        const nameParameter = name === null ? paramNumber(args[0]) : null;
        if (name === null && nameParameter === null) return;
        writes.push({
          setting: name?.toLowerCase() ?? '',
          via: 'set_config',
          local: constantBoolean(args[2]),
          value: args[1],
          statement,
          ...(nameParameter !== null && { nameParameter }),
          ...(paramNumber(args[2]) !== null && { localParameter: paramNumber(args[2])! }),
          ...(paramNumber(args[1]) !== null && { valueParameter: paramNumber(args[1])! }),
        });
      }
    });
  }
  return writes;
}

function isSetConfig(fields: AstNode): boolean {
  const names = ((fields.funcname as AstNode[] | undefined) ?? []).map((n) => n.String?.sval as string | undefined);
  const last = names[names.length - 1];
  return last === 'set_config' && (names.length === 1 || names[0] === 'pg_catalog');
}

/** The value of a string constant (through casts); null when the node is not one. */
export function constantString(node: AstNode | undefined): string | null {
  let u = unwrap(node);
  while (u && u[0] === 'TypeCast') u = unwrap(u[1].arg);
  if (u && u[0] === 'A_Const' && u[1].sval) return String(u[1].sval.sval ?? '');
  return null;
}

/** A boolean constant as PostgreSQL reads one (`true`, `'on'`, `'f'`, ...); null when not constant. */
export function constantBoolean(node: AstNode | undefined): boolean | null {
  let u = unwrap(node);
  while (u && u[0] === 'TypeCast') u = unwrap(u[1].arg);
  if (!u || u[0] !== 'A_Const') return null;
  if ('boolval' in u[1]) return u[1].boolval?.boolval === true;
  if (u[1].ival) return Number(u[1].ival.ival ?? 0) !== 0;
  const text = constantString(node);
  if (text === null) return null;
  // PostgreSQL's parse_bool: unique prefixes of true/false/yes/no, on/off, 1/0.
  const t = text.trim().toLowerCase();
  if (t.length > 0 && ('true'.startsWith(t) || 'yes'.startsWith(t) || t === 'on' || t === '1')) return true;
  if (t.length > 0 && ('false'.startsWith(t) || 'no'.startsWith(t) || t === 'off' || t === '0')) return false;
  return null;
}

/** The bind-parameter number when the value is `$n` (through casts); null otherwise. */
export function paramNumber(node: AstNode | undefined): number | null {
  let u = unwrap(node);
  while (u && u[0] === 'TypeCast') u = unwrap(u[1].arg);
  if (u && u[0] === 'ParamRef' && typeof u[1].number === 'number') return u[1].number;
  return null;
}

/** The interpolations whose placeholder stands in this value: a bare `$n` or inside a literal. */
export function interpolationsInValue(sql: EmbeddedSql, value: AstNode | undefined): Interpolation[] {
  const found: Interpolation[] = [];
  walkSql([value], (kind, fields) => {
    if (kind === 'ParamRef') {
      const i = sql.interpolations.find((x) => x.number === fields.number);
      if (i) found.push(i);
    }
    if (kind === 'A_Const' && fields.sval) {
      const text = String(fields.sval.sval ?? '');
      for (const i of sql.interpolations) if (i.kind === 'raw' && text.includes(`$${i.number}`)) found.push(i);
    }
  });
  return found;
}

/** Bind parameters (`$n` the author wrote, or a tagged template's `${}`) in a value. */
export function bindParametersInValue(value: AstNode | undefined): number[] {
  const numbers: number[] = [];
  walkSql([value], (kind, fields) => {
    if (kind === 'ParamRef' && typeof fields.number === 'number' && fields.number < RAW_PLACEHOLDER_BASE) numbers.push(fields.number);
  });
  return numbers;
}

/** The statement kind (`SelectStmt`, `TransactionStmt`, ...). */
export function statementKind(statement: AstNode): string {
  return Object.keys(statement)[0] ?? '';
}

/** True for `COMMIT`, `ROLLBACK` (not `ROLLBACK TO SAVEPOINT`) and `PREPARE TRANSACTION`: the transaction ends. */
export function endsTransaction(statement: AstNode): boolean {
  const u = unwrap(statement);
  return !!u && u[0] === 'TransactionStmt' && ['TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK', 'TRANS_STMT_PREPARE'].includes(u[1].kind as string);
}

/** True for `BEGIN` / `START TRANSACTION`. */
export function startsTransaction(statement: AstNode): boolean {
  const u = unwrap(statement);
  return !!u && u[0] === 'TransactionStmt' && (u[1].kind === 'TRANS_STMT_BEGIN' || u[1].kind === 'TRANS_STMT_START');
}
