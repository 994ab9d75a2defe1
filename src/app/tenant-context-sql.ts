/**
 * Tenant-context writes in app SQL (`SET [LOCAL] <tenantSetting> = ...`,
 * `set_config('<tenantSetting>', ..., is_local)`), and the one safe way to write one:
 * `SELECT set_config('<setting>', $1, true)` — a bind parameter (SET takes none: PostgreSQL
 * rejects `SET x = $1` with 42601) and transaction-local (a session-level value outlives the
 * request on a pooled connection).
 */
import { AST_NODE_TYPES, type TSESLint, type TSESTree } from '@typescript-eslint/utils';
import { settingWrites, type EmbeddedSql, type SettingWrite } from './embedded-sql.js';
import type { AstNode } from '../sql/parse.js';

/** SQL where it runs, with the values its bind parameters are given when they are constants. */
export interface SqlWithParameters {
  sql: EmbeddedSql | null;
  parameterConstant?(n: number): string | number | boolean | null;
}

/**
 * Every setting write of the SQL, with a name or `is_local` given as a bind parameter read from
 * the call's values: `query('SELECT set_config($1, $2, false)', ['app.current_tenant', id])`.
 * A write whose name is a parameter with no constant value is left out: its setting is unknown.
 */
export function resolvedSettingWrites(site: SqlWithParameters): SettingWrite[] {
  const writes = settingWrites(site.sql?.statements ?? []);
  if (!writes.some((w) => w.nameParameter !== undefined || w.localParameter !== undefined || w.valueParameter !== undefined)) return writes as SettingWrite[];
  return writes.flatMap((write) => {
    let { setting, local } = write;
    const value = write.valueParameter !== undefined ? site.parameterConstant?.(write.valueParameter) ?? null : null;
    if (write.nameParameter !== undefined) {
      const name = site.parameterConstant?.(write.nameParameter) ?? null;
      if (typeof name !== 'string') return [];
      setting = name.toLowerCase();
    }
    if (write.localParameter !== undefined) {
      const value = site.parameterConstant?.(write.localParameter) ?? null;
      local = typeof value === 'boolean' ? value : typeof value === 'string' ? parseBoolean(value) : null;
    }
    return [{ ...write, setting, local, ...(value !== null && { valueConstant: value }) }];
  });
}

/** PostgreSQL's parse_bool: unique prefixes of true/false/yes/no, on/off, 1/0; null for anything else. */
function parseBoolean(text: string): boolean | null {
  const t = text.trim().toLowerCase();
  if (t.length > 0 && ('true'.startsWith(t) || 'yes'.startsWith(t) || t === 'on' || t === '1')) return true;
  if (t.length > 0 && ('false'.startsWith(t) || 'no'.startsWith(t) || t === 'off' || t === '0')) return false;
  return null;
}

export function tenantSettingWrites(site: SqlWithParameters, tenantSettings: readonly string[]): SettingWrite[] {
  const settings = new Set(tenantSettings.map((s) => s.toLowerCase()));
  return resolvedSettingWrites(site).filter((w) => settings.has(w.setting));
}

/** The value of a write, as it would be written in a `set_config` call in the same place. */
type ValueSource = { bind: string } | { jsExpression: TSESTree.Node } | { sqlLiteral: string };

function unwrap(node: AstNode | undefined): [string, AstNode] | null {
  if (!node) return null;
  const kind = Object.keys(node)[0];
  return kind ? [kind, node[kind] as AstNode] : null;
}

/**
 * Where the value of a write comes from: a bind parameter `$n` the author wrote, one
 * interpolation (a tagged template's `${x}`, or text pasted in: `'${x}'`, `' + x + '`), or a
 * constant. Null for anything more complex.
 */
export function valueSource(sql: EmbeddedSql, value: AstNode | undefined): ValueSource | null {
  let u = unwrap(value);
  while (u && u[0] === 'TypeCast') u = unwrap(u[1].arg);
  if (!u) return null;
  const [kind, fields] = u;
  if (kind === 'ParamRef') {
    const interpolation = sql.interpolations.find((i) => i.number === fields.number);
    if (interpolation) return { jsExpression: unwrapRaw(interpolation.expression) };
    return { bind: `$${fields.number}` };
  }
  if (kind === 'A_Const' && fields.sval) {
    const text = String(fields.sval.sval ?? '');
    const whole = sql.interpolations.find((i) => i.kind === 'raw' && text === `$${i.number}`);
    // '${sql.raw(id)}' or '${id}' pasted inside quotes: the value is `id`.
    if (whole) return { jsExpression: unwrapRaw(whole.expression) };
    if (sql.interpolations.some((i) => text.includes(`$${i.number}`))) return null;
    return { sqlLiteral: `'${text.replaceAll("'", "''")}'` };
  }
  if (kind === 'A_Const' && fields.ival) return { sqlLiteral: String(fields.ival.ival ?? 0) };
  return null;
}

/** `sql.raw(x)` pasted in: the value is `x`. */
function unwrapRaw(expression: TSESTree.Node): TSESTree.Node {
  if (expression.type === AST_NODE_TYPES.CallExpression && expression.arguments.length === 1 && expression.callee.type === AST_NODE_TYPES.MemberExpression) {
    const name = expression.callee.property.type === AST_NODE_TYPES.Identifier ? expression.callee.property.name : '';
    if (name === 'raw' || name === 'unsafe') return unquoted(expression.arguments[0]!);
  }
  return expression;
}

/** `\`'${x}'\``: a value quoted as a SQL literal by hand; bound as a parameter it is `x`. */
function unquoted(expression: TSESTree.Node): TSESTree.Node {
  if (expression.type !== AST_NODE_TYPES.TemplateLiteral || expression.expressions.length !== 1) return expression;
  const [before, after] = expression.quasis.map((q) => q.value.cooked);
  return before === "'" && after === "'" ? expression.expressions[0]! : expression;
}

/** `SELECT set_config('app.current_tenant', <value>, true)` with the value in place of `VALUE`. */
export function setConfigSql(setting: string, value: string): string {
  return `SELECT set_config('${setting.replaceAll("'", "''")}', ${value}, true)`;
}

/** True when the SQL is this one write and nothing else, so rewriting the whole text loses nothing. */
export function isSoleWrite(sql: EmbeddedSql, write: SettingWrite): boolean {
  const statements = sql.statements ?? [];
  if (statements.length !== 1 || statements[0] !== write.statement) return false;
  if (write.via === 'SET') return true;
  const select = (write.statement as AstNode).SelectStmt as AstNode | undefined;
  return !!select && !select.fromClause && !select.whereClause && (select.targetList as AstNode[] | undefined)?.length === 1;
}

/**
 * A fix rewriting the SQL text to `SELECT set_config('<setting>', <value>, true)`, or null when
 * the text cannot be rewritten in place (concatenations, several statements, complex values).
 *
 * - tagged template: `tx\`SELECT set_config('s', ${value}, true)\``;
 * - string with a bind parameter: `"SELECT set_config('s', $1, true)"`, the values unchanged;
 * - text pasted into a lone `client.query(text)` or `$executeRawUnsafe(text)`: the value moves to
 *   a bind parameter, `client.query("SELECT set_config('s', $1, true)", [value])`.
 */
export function setConfigFix(
  sql: EmbeddedSql,
  write: SettingWrite,
  call: TSESTree.Node,
  sourceCode: Readonly<TSESLint.SourceCode>,
): ((fixer: TSESLint.RuleFixer) => TSESLint.RuleFix) | null {
  if (!isSoleWrite(sql, write)) return null;
  const source = valueSource(sql, write.value);
  if (!source) return null;
  const node = sql.node;
  if (node.type === AST_NODE_TYPES.TaggedTemplateExpression) {
    if ('bind' in source) return null;
    const value = 'jsExpression' in source ? `\${${sourceCode.getText(source.jsExpression)}}` : escapeTemplate(source.sqlLiteral);
    const [before, after] = setConfigSql(write.setting, '\u0000').split('\u0000').map(escapeTemplate);
    return (fixer) => fixer.replaceText(node.quasi, `\`${before}${value}${after}\``);
  }
  // Knex counts its `?` against the bindings: the one value stays the one `?`.
  const knex = sql.valuePositions !== undefined;
  if ('bind' in source || 'sqlLiteral' in source) {
    if (sql.interpolations.length > 0) return null;
    if (knex && 'bind' in source && sql.valuePositions!.length !== 1) return null;
    const text = setConfigSql(write.setting, 'bind' in source ? (knex ? '?' : source.bind) : source.sqlLiteral);
    return (fixer) => fixer.replaceText(node, JSON.stringify(text));
  }
  // Pasted text: only when the call is `x.query(text)` / `x.$executeRawUnsafe(text)` with nothing else.
  if (sql.interpolations.length !== 1 || call.type !== AST_NODE_TYPES.CallExpression || call.arguments.length !== 1 || call.arguments[0] !== node) return null;
  if (call.callee.type !== AST_NODE_TYPES.MemberExpression || call.callee.property.type !== AST_NODE_TYPES.Identifier) return null;
  const method = call.callee.property.name;
  const value = sourceCode.getText(source.jsExpression);
  const text = JSON.stringify(setConfigSql(write.setting, knex ? '?' : '$1'));
  // node-postgres and TypeORM `query(text, values)`, postgres.js `unsafe(text, values)`
  if (method === 'query' || method === 'unsafe' || (knex && method === 'raw')) return (fixer) => fixer.replaceText(node, `${text}, [${value}]`);
  if (method === '$executeRawUnsafe' || method === '$queryRawUnsafe') return (fixer) => fixer.replaceText(node, `${text}, ${value}`);
  return null;
}

function escapeTemplate(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('`', '\\`').replaceAll('${', '\\${');
}
