/**
 * What a function body (SQL or PL/pgSQL) or a DO block runs: its SQL statements as ASTs and its
 * dynamic EXECUTEs. PL/pgSQL is parsed with libpg-query's PL/pgSQL parser; the SQL inside it
 * with the SQL parser.
 */
import { parseFragment, parseFragments, parsePlpgsql, type AstNode } from './parse.js';

export interface DynamicExecute {
  /** The EXECUTE expression's text. */
  query: string;
  /** A constant string: its statements are known. */
  constantSql: string | null;
  /** Built from input by concatenation or `format('%s', ...)`: injectable. */
  builtFromInput: boolean;
}

export interface BodyAnalysis {
  /** False when the body could not be parsed (or is in a language rls-guard does not read). */
  analyzable: boolean;
  statements: AstNode[];
  dynamic: DynamicExecute[];
  /** Static statements that are SQL commands run by the body (for DO blocks: replayed). */
  commands: AstNode[];
}

const EMPTY: BodyAnalysis = { analyzable: false, statements: [], dynamic: [], commands: [] };

/** Calls `fn(key, value)` for every object-valued field under `node`, parents before children. */
function visit(node: unknown, fn: (key: string, value: AstNode) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) visit(item, fn);
  } else if (node && typeof node === 'object') {
    // for-in rather than Object.entries: no array per node (this walk runs over every body).
    const fields = node as AstNode;
    for (const key in fields) {
      const value: unknown = fields[key];
      if (value && typeof value === 'object') {
        fn(key, value as AstNode);
        visit(value, fn);
      }
    }
  }
}

function dollarQuote(body: string): string {
  let tag = '$rlsg$';
  for (let i = 0; body.includes(tag); i++) tag = `$rlsg${i}$`;
  return tag;
}

/**
 * A PL/pgSQL expression or statement as PL/pgSQL hands it to the SQL parser (`parseMode` 0: a
 * statement; 2: an expression; 3-5: an assignment `target := expr`), as SQL text to parse.
 */
function embeddedSql(query: string, parseMode: number): string {
  if (parseMode === 0) return query;
  if (parseMode === 2) return `SELECT ${query}`;
  const assign = query.indexOf(':=');
  return `SELECT ${assign >= 0 ? query.slice(assign + 2) : query}`;
}

function classifyDynamic(query: string): DynamicExecute {
  const parsed = parseFragment(`SELECT ${query}`);
  const value = parsed?.[0]?.SelectStmt?.targetList?.[0]?.ResTarget?.val as AstNode | undefined;
  if (value?.A_Const?.sval) return { query, constantSql: String(value.A_Const.sval.sval ?? ''), builtFromInput: false };
  let builtFromInput = false;
  visit(value ?? {}, (key, node) => {
    if (key === 'A_Expr' && node.name?.[0]?.String?.sval === '||') builtFromInput = true;
    if (key === 'FuncCall') {
      const name = (node.funcname as AstNode[]).map((n) => n.String?.sval).join('.');
      const fmt = node.args?.[0]?.A_Const?.sval?.sval as string | undefined;
      if ((name === 'format' || name === 'pg_catalog.format') && (fmt === undefined || fmt.includes('%s'))) builtFromInput = true;
    }
  });
  if (!value) builtFromInput = true;
  return { query, constantSql: null, builtFromInput };
}

/** Analyzes a PL/pgSQL function (its full CREATE FUNCTION text) or DO block body. */
export function analyzePlpgsql(source: { createStatement?: string; doBody?: string }): BodyAnalysis {
  const text =
    source.createStatement ??
    (() => {
      const tag = dollarQuote(source.doBody ?? '');
      return `CREATE FUNCTION rls_guard_do_block() RETURNS void LANGUAGE plpgsql AS ${tag}${source.doBody ?? ''}${tag}`;
    })();
  const tree = parsePlpgsql(text);
  if (!tree) return EMPTY;
  const result: BodyAnalysis = { analyzable: true, statements: [], dynamic: [], commands: [] };
  const commandExprs = new Set<AstNode>();
  // What each variable is assigned (DECLARE ... := and assignments), so `EXECUTE q` is judged by q's value.
  const datums = (tree.plpgsql_funcs?.[0]?.PLpgSQL_function?.datums ?? []) as AstNode[];
  const assigned = new Map<string, string[]>();
  const assign = (name: string | undefined, expr: string | undefined) => {
    if (!name || expr === undefined) return;
    assigned.set(name, [...(assigned.get(name) ?? []), expr]);
  };
  for (const d of datums) assign(d.PLpgSQL_var?.refname as string | undefined, d.PLpgSQL_var?.default_val?.PLpgSQL_expr?.query as string | undefined);
  const executed: string[] = [];
  const exprs: AstNode[] = [];
  visit(tree, (key, node) => {
    if (key === 'PLpgSQL_stmt_dynexecute' || (key === 'PLpgSQL_stmt_return_query' && node.dynquery)) {
      // EXECUTE ... and RETURN QUERY EXECUTE ...
      const query = (node.query ?? node.dynquery)?.PLpgSQL_expr?.query as string | undefined;
      if (query !== undefined) executed.push(query);
    } else if (key === 'PLpgSQL_stmt_assign') {
      const query = node.expr?.PLpgSQL_expr?.query as string | undefined;
      const at = query?.indexOf(':=') ?? -1;
      assign(datums[Number(node.varno)]?.PLpgSQL_var?.refname as string | undefined, query !== undefined && at >= 0 ? query.slice(at + 2) : query);
    } else if (key === 'PLpgSQL_stmt_execsql' && node.sqlstmt?.PLpgSQL_expr) {
      commandExprs.add(node.sqlstmt.PLpgSQL_expr as AstNode);
    } else if (key === 'PLpgSQL_expr' && typeof node.query === 'string') {
      exprs.push(node);
    }
  });
  // Every expression parsed with one parser call (see parseFragments), in body order.
  parseFragments(exprs.map((e) => embeddedSql(e.query as string, Number(e.parseMode ?? 0)))).forEach((parsed, i) => {
    const isCommand = commandExprs.has(exprs[i]!);
    if (parsed) {
      result.statements.push(...parsed);
      if (isCommand) result.commands.push(...parsed);
    } else if (isCommand) {
      result.analyzable = false;
    }
  });
  for (const query of executed) {
    const direct = classifyDynamic(query);
    const variable = assigned.get(query.trim());
    if (variable && direct.constantSql === null) {
      // EXECUTE of a variable: built from input when any value assigned to it is.
      const values = variable.map(classifyDynamic);
      const constant = values.length === 1 ? values[0]!.constantSql : null;
      result.dynamic.push({ query, constantSql: constant, builtFromInput: values.some((v) => v.builtFromInput) });
    } else {
      result.dynamic.push(direct);
    }
  }
  for (const d of result.dynamic) {
    if (d.constantSql) {
      const parsed = parseFragment(d.constantSql);
      if (parsed) {
        result.statements.push(...parsed);
        result.commands.push(...parsed);
      }
    }
  }
  return result;
}

/** Analyzes a function's body by language. */
export function analyzeFunctionBody(fn: { language: string; body: string | null; sqlBody: AstNode | null; statementText: string }): BodyAnalysis {
  if (fn.sqlBody) return { analyzable: true, statements: [fn.sqlBody], dynamic: [], commands: [] };
  if (fn.body === null) return EMPTY;
  if (fn.language === 'sql') {
    const parsed = parseFragment(fn.body);
    return parsed ? { analyzable: true, statements: parsed, dynamic: [], commands: parsed } : EMPTY;
  }
  if (fn.language === 'plpgsql') return analyzePlpgsql({ createStatement: fn.statementText });
  return EMPTY;
}

/** Every relation a set of statements reads or writes: RangeVars that are not CTE names. */
export function relationsIn(statements: AstNode[]): { schema: string | null; name: string; location: number }[] {
  const ctes = new Set<string>();
  const found: { schema: string | null; name: string; location: number }[] = [];
  visit(statements, (key, node) => {
    if (key === 'CommonTableExpr' && node.ctename) ctes.add(node.ctename as string);
  });
  visit(statements, (key, node) => {
    if (key === 'RangeVar' || (key === 'relation' && node.relname !== undefined)) {
      if (!node.relname) return;
      if (!node.schemaname && ctes.has(node.relname as string)) return;
      found.push({ schema: (node.schemaname as string | undefined) ?? null, name: node.relname as string, location: (node.location as number) ?? -1 });
    }
  });
  return found;
}

export { visit as visitAst };
