/**
 * What a function body (SQL or PL/pgSQL) or a DO block runs: its SQL statements as ASTs and its
 * dynamic EXECUTEs. PL/pgSQL is parsed with libpg-query's PL/pgSQL parser; the SQL inside it
 * with the SQL parser.
 */
import { dollarTagEnd, skipTrivia } from './lexer.js';
import { parseFragment, parseFragments, parsePlpgsql, type AstNode } from './parse.js';
import { SourceText } from './source.js';
import { constantArray, constantText, constantUnnest, type Bindings } from './constant-text.js';

/**
 * A statement of a PL/pgSQL body as the PL/pgSQL parser reports it: the line it starts on and the
 * SQL it hands to the SQL parser, which PL/pgSQL copies verbatim from the body. No column: the
 * parser keeps none, so `locateBodyStatements` places the text on its line.
 */
export interface BodyStatement {
  /** 1-based line in the body (the routine's string after AS, or the DO block's string). */
  lineno: number;
  /** The statement's SQL text (for EXECUTE, its expression). */
  text: string;
  /** `EXECUTE <text>` (or `RETURN QUERY EXECUTE`): the statement starts at the keyword. */
  execute: boolean;
}

export interface DynamicExecute {
  /** The EXECUTE expression's text. */
  query: string;
  /** A constant string: its statements are known. */
  constantSql: string | null;
  /** Built from input by concatenation or `format('%s', ...)`: injectable. */
  builtFromInput: boolean;
  /** The EXECUTE statement in the body. */
  statement?: BodyStatement;
}

export interface BodyAnalysis {
  /** False when the body could not be parsed (or is in a language rls-guard does not read). */
  analyzable: boolean;
  statements: AstNode[];
  dynamic: DynamicExecute[];
  /** Static statements that are SQL commands run by the body (for DO blocks: replayed). */
  commands: AstNode[];
  /**
   * What the function returns, each as a SELECT: a SQL function's last statement, PL/pgSQL's
   * `RETURN QUERY <select>` and `RETURN <expr>` (as `SELECT <expr>`). Null when some return could
   * not be read (`RETURN QUERY EXECUTE`, a body that does not parse).
   */
  returns: AstNode[] | null;
  /** PL/pgSQL variables and the expressions assigned to them (DECLARE ... := and `:=`), parsed as SELECTs. */
  variables: Map<string, AstNode[]>;
  /** The PL/pgSQL statement each of `commands` comes from (PL/pgSQL bodies only). */
  statementOf: Map<AstNode, BodyStatement>;
  /** Every located PL/pgSQL statement, in body order (for `locateBodyStatements`). */
  bodyStatements: BodyStatement[];
  /** For commands an EXECUTE runs: the SQL text it runs (one per iteration of an unrolled loop). */
  executedText?: Map<AstNode, string>;
}

const EMPTY: BodyAnalysis = { analyzable: false, statements: [], dynamic: [], commands: [], returns: null, variables: new Map(), statementOf: new Map(), bodyStatements: [] };

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

const QUOTING = new Set(['quote_ident', 'quote_literal', 'quote_nullable']);

function funcName(node: AstNode): string {
  const parts = ((node.funcname ?? []) as AstNode[]).map((n) => String(n.String?.sval ?? '').toLowerCase());
  return parts[0] === 'pg_catalog' ? parts.slice(1).join('.') : parts.join('.');
}

/** format()'s template quotes every argument it inserts: only %I, %L and %% (never %s). */
function formatQuotesAll(node: AstNode): boolean {
  const fmt = node.args?.[0]?.A_Const?.sval?.sval as string | undefined;
  if (fmt === undefined) return false;
  for (const spec of fmt.matchAll(/%(?:\d+\$)?-?(?:\d+|\*(?:\d+\$)?)?([a-zA-Z%])/g)) if (spec[1] !== 'I' && spec[1] !== 'L' && spec[1] !== '%') return false;
  return true;
}

/** Text that cannot carry SQL from input: constants, quote_ident/quote_literal/quote_nullable, format('%I %L'), and their concatenation. */
function quotedPiece(node: AstNode | undefined): boolean {
  if (!node) return false;
  if (node.A_Const) return true;
  if (node.TypeCast) return quotedPiece(node.TypeCast.arg);
  if (node.FuncCall) {
    const name = funcName(node.FuncCall);
    return QUOTING.has(name) || (name === 'format' && formatQuotesAll(node.FuncCall));
  }
  if (node.A_Expr && node.A_Expr.name?.[0]?.String?.sval === '||') return quotedPiece(node.A_Expr.lexpr) && quotedPiece(node.A_Expr.rexpr);
  return false;
}

/** SQL text built from input: a concatenation with an unquoted piece, or format() inserting with %s. */
function builtFromInput(node: AstNode | undefined): boolean {
  if (!node || typeof node !== 'object') return false;
  if (node.A_Expr && node.A_Expr.name?.[0]?.String?.sval === '||') return !quotedPiece(node);
  if (node.FuncCall) {
    const name = funcName(node.FuncCall);
    if (QUOTING.has(name)) return false;
    if (name === 'format') return !formatQuotesAll(node.FuncCall);
  }
  for (const key in node) {
    const value: unknown = node[key];
    if (Array.isArray(value) ? value.some((v) => builtFromInput(v as AstNode)) : value && typeof value === 'object' && builtFromInput(value as AstNode)) return true;
  }
  return false;
}

/**
 * An EXECUTE's SQL: a constant, or built from input (injectable) unless every piece spliced in is
 * quoted (quote_ident, quote_literal, format's %I / %L). Values passed with USING are parameters,
 * never SQL text, and are not part of the query expression judged here.
 */
function classifyDynamic(query: string): DynamicExecute {
  const parsed = parseFragment(`SELECT ${query}`);
  const value = parsed?.[0]?.SelectStmt?.targetList?.[0]?.ResTarget?.val as AstNode | undefined;
  if (value?.A_Const?.sval) return { query, constantSql: String(value.A_Const.sval.sval ?? ''), builtFromInput: false };
  return { query, constantSql: null, builtFromInput: !value || builtFromInput(value) };
}

/** A loop over known values enclosing a statement: the variable (`t`, or `r.col`) and its values. */
interface Loop {
  name: string;
  values: string[];
}

const MAX_UNROLLED = 256;

/** A constant array an expression names: a literal, or a variable assigned only that literal. */
function arrayOf(query: string, assigned: Map<string, string[]>): string[] | null {
  const value = (q: string) => parseFragment(`SELECT ${q}`)?.[0]?.SelectStmt?.targetList?.[0]?.ResTarget?.val as AstNode | undefined;
  const direct = constantArray(value(query));
  if (direct) return direct;
  const values = assigned.get(query.trim());
  return values?.length === 1 ? constantArray(value(values[0]!)) : null;
}

/**
 * For each EXECUTE inside loops over constant values (`FOREACH t IN ARRAY ARRAY['a','b']`,
 * `FOR r IN SELECT unnest(ARRAY[...]) AS n`, `FOR t IN SELECT unnest('{a,b}'::text[])`), the loops.
 */
function constantLoops(tree: AstNode, datums: AstNode[], assigned: Map<string, string[]>): Map<AstNode, Loop[]> {
  const out = new Map<AstNode, Loop[]>();
  const walk = (node: unknown, loops: Loop[]): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item, loops);
      return;
    }
    if (!node || typeof node !== 'object') return;
    for (const key in node as AstNode) {
      const value = (node as AstNode)[key] as AstNode;
      if (!value || typeof value !== 'object') continue;
      let inner = loops;
      if (key === 'PLpgSQL_stmt_dynexecute' || key === 'PLpgSQL_stmt_return_query') out.set(value, loops);
      if (key === 'PLpgSQL_stmt_foreach_a' && !value.slice) {
        const name = datums[Number(value.varno)]?.PLpgSQL_var?.refname as string | undefined;
        const values = arrayOf(String(value.expr?.PLpgSQL_expr?.query ?? ''), assigned);
        if (name && values) inner = [...loops, { name, values }];
      } else if (key === 'PLpgSQL_stmt_fors') {
        const rows = constantUnnest(parseFragment(String(value.query?.PLpgSQL_expr?.query ?? ''))?.[0]);
        const record = value.var?.PLpgSQL_rec?.refname as string | undefined;
        const fields = (value.var?.PLpgSQL_row?.fields ?? []) as AstNode[];
        const name = record ? `${record}.${rows?.column}` : fields.length === 1 ? (fields[0]!.name as string | undefined) : undefined;
        if (rows && name) inner = [...loops, { name, values: rows.values }];
      }
      walk(value, inner);
    }
  };
  walk(tree, []);
  return out;
}

/** Every SQL text an EXECUTE runs, when all of it is known (constants, quoting, loop variables). */
function foldExecute(query: string, loops: Loop[], assigned: Map<string, string[]>): string[] | null {
  let expr = query;
  const values = assigned.get(query.trim());
  if (values) {
    if (values.length !== 1) return null;
    expr = values[0]!;
  }
  const node = parseFragment(`SELECT ${expr}`)?.[0]?.SelectStmt?.targetList?.[0]?.ResTarget?.val as AstNode | undefined;
  if (!node || node.A_Const) return null; // plain constants are classified as before
  let combos: Map<string, string>[] = [new Map()];
  for (const loop of loops) {
    combos = combos.flatMap((c) => loop.values.map((v) => new Map(c).set(loop.name, v)));
    if (combos.length > MAX_UNROLLED) return null;
  }
  const texts: string[] = [];
  for (const bindings of combos) {
    const text = constantText(node, bindings as Bindings);
    if (text === null) return null;
    texts.push(text);
  }
  return texts;
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
  const result: BodyAnalysis = { analyzable: true, statements: [], dynamic: [], commands: [], returns: [], variables: new Map(), statementOf: new Map(), bodyStatements: [] };
  const commandStatements = new Map<AstNode, BodyStatement>();
  const commandExprs = new Set<AstNode>();
  const returnExprs = new Set<AstNode>();
  // What each variable is assigned (DECLARE ... := and assignments), so `EXECUTE q` is judged by q's value.
  const datums = (tree.plpgsql_funcs?.[0]?.PLpgSQL_function?.datums ?? []) as AstNode[];
  const assigned = new Map<string, string[]>();
  const assign = (name: string | undefined, expr: string | undefined) => {
    if (!name || expr === undefined) return;
    assigned.set(name, [...(assigned.get(name) ?? []), expr]);
  };
  for (const d of datums) assign(d.PLpgSQL_var?.refname as string | undefined, d.PLpgSQL_var?.default_val?.PLpgSQL_expr?.query as string | undefined);
  const executed: { query: string; statement: BodyStatement | undefined; node: AstNode }[] = [];
  const bodyStatement = (lineno: unknown, text: string, execute: boolean): BodyStatement | undefined => {
    if (typeof lineno !== 'number') return undefined;
    const statement = { lineno, text, execute };
    result.bodyStatements.push(statement);
    return statement;
  };
  const exprs: AstNode[] = [];
  visit(tree, (key, node) => {
    if (key === 'PLpgSQL_stmt_return' || key === 'PLpgSQL_stmt_return_query') {
      const expr = (node.expr ?? node.query)?.PLpgSQL_expr as AstNode | undefined;
      if (expr) returnExprs.add(expr);
      else if (node.dynquery) result.returns = null;
    }
    if (key === 'PLpgSQL_stmt_dynexecute' || (key === 'PLpgSQL_stmt_return_query' && node.dynquery)) {
      // EXECUTE ... and RETURN QUERY EXECUTE ...
      const query = (node.query ?? node.dynquery)?.PLpgSQL_expr?.query as string | undefined;
      if (query !== undefined) executed.push({ query, statement: bodyStatement(node.lineno, query, true), node });
    } else if (key === 'PLpgSQL_stmt_assign') {
      const query = node.expr?.PLpgSQL_expr?.query as string | undefined;
      const at = query?.indexOf(':=') ?? -1;
      assign(datums[Number(node.varno)]?.PLpgSQL_var?.refname as string | undefined, query !== undefined && at >= 0 ? query.slice(at + 2) : query);
    } else if (key === 'PLpgSQL_stmt_execsql' && node.sqlstmt?.PLpgSQL_expr) {
      const expr = node.sqlstmt.PLpgSQL_expr as AstNode;
      commandExprs.add(expr);
      const statement = bodyStatement(node.lineno, String(expr.query ?? ''), false);
      if (statement) commandStatements.set(expr, statement);
    } else if (key === 'PLpgSQL_expr' && typeof node.query === 'string') {
      exprs.push(node);
    }
  });
  // Every expression parsed with one parser call (see parseFragments), in body order.
  parseFragments(exprs.map((e) => embeddedSql(e.query as string, Number(e.parseMode ?? 0)))).forEach((parsed, i) => {
    const isCommand = commandExprs.has(exprs[i]!);
    const isReturn = returnExprs.has(exprs[i]!);
    if (parsed) {
      result.statements.push(...parsed);
      if (isCommand) {
        result.commands.push(...parsed);
        const statement = commandStatements.get(exprs[i]!);
        if (statement) for (const command of parsed) result.statementOf.set(command, statement);
      }
      if (isReturn && result.returns) result.returns.push(...parsed);
    } else {
      if (isCommand) result.analyzable = false;
      if (isReturn) result.returns = null;
    }
  });
  for (const [name, values] of assigned) {
    const parsed = parseFragments(values.map((v) => `SELECT ${v}`)).flatMap((p) => p ?? []);
    result.variables.set(name, parsed);
  }
  // After the walk, so that every assignment is known.
  const loopsOf = executed.length > 0 ? constantLoops(tree, datums, assigned) : new Map<AstNode, Loop[]>();
  for (const { query, statement, node } of executed) {
    const folded = foldExecute(query, loopsOf.get(node) ?? [], assigned);
    if (folded) {
      // Every text it can run is known (a loop over a constant array unrolled): each is replayed.
      for (const constantSql of folded) result.dynamic.push({ query, constantSql, builtFromInput: false, ...(statement ? { statement } : {}) });
      continue;
    }
    const direct = classifyDynamic(query);
    const variable = assigned.get(query.trim());
    let dynamic: DynamicExecute;
    if (variable && direct.constantSql === null) {
      // EXECUTE of a variable: built from input when any value assigned to it is.
      const values = variable.map(classifyDynamic);
      const constant = values.length === 1 ? values[0]!.constantSql : null;
      dynamic = { query, constantSql: constant, builtFromInput: values.some((v) => v.builtFromInput) };
    } else {
      dynamic = direct;
    }
    if (statement) dynamic.statement = statement;
    result.dynamic.push(dynamic);
  }
  for (const d of result.dynamic) {
    if (d.constantSql) {
      const parsed = parseFragment(d.constantSql);
      if (parsed) {
        result.statements.push(...parsed);
        result.commands.push(...parsed);
        if (d.statement) for (const command of parsed) result.statementOf.set(command, d.statement);
        result.executedText ??= new Map();
        for (const command of parsed) result.executedText.set(command, d.constantSql);
      }
    }
  }
  return result;
}

/** Analyzes a function's body by language. */
export function analyzeFunctionBody(fn: { language: string; body: string | null; sqlBody: AstNode | null; statementText: string }): BodyAnalysis {
  if (fn.sqlBody) return { ...EMPTY, analyzable: true, statements: [fn.sqlBody], returns: sqlStandardReturns(fn.sqlBody), variables: new Map(), statementOf: new Map() };
  if (fn.body === null) return EMPTY;
  if (fn.language === 'sql') {
    const parsed = parseFragment(fn.body);
    const last = parsed?.[parsed.length - 1];
    return parsed ? { ...EMPTY, analyzable: true, statements: parsed, commands: parsed, returns: last ? [last] : [], variables: new Map(), statementOf: new Map() } : EMPTY;
  }
  if (fn.language === 'plpgsql') return analyzePlpgsql({ createStatement: fn.statementText });
  return EMPTY;
}

/** `RETURN expr` (a ReturnStmt) or `BEGIN ATOMIC ... END` (its last statement), as SELECTs. */
function sqlStandardReturns(body: AstNode): AstNode[] | null {
  const ret = body.ReturnStmt?.returnval as AstNode | undefined;
  if (ret) return [{ SelectStmt: { targetList: [{ ResTarget: { val: ret } }] } }];
  const list = (body.List?.items ?? []) as AstNode[];
  const stmts = (list[0]?.List?.items ?? list) as AstNode[];
  const last = stmts[stmts.length - 1];
  return last ? [last] : null;
}

/**
 * Every relation a set of statements reads or writes: RangeVars that are not CTE names. `FOR
 * UPDATE OF x` names a FROM item (an alias), not a relation, so locking clauses are skipped.
 */
export function relationsIn(statements: AstNode[]): { schema: string | null; name: string; location: number }[] {
  const ctes = new Set<string>();
  const found: { schema: string | null; name: string; location: number }[] = [];
  visit(statements, (key, node) => {
    if (key === 'CommonTableExpr' && node.ctename) ctes.add(node.ctename as string);
  });
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const fields = node as AstNode;
    for (const key in fields) {
      if (key === 'lockingClause') continue;
      const value: unknown = fields[key];
      if (!value || typeof value !== 'object') continue;
      const v = value as AstNode;
      if ((key === 'RangeVar' || (key === 'relation' && v.relname !== undefined)) && v.relname) {
        if (v.schemaname || !ctes.has(v.relname as string)) {
          found.push({ schema: (v.schemaname as string | undefined) ?? null, name: v.relname as string, location: (v.location as number) ?? -1 });
        }
      }
      walk(v);
    }
  };
  walk(statements);
  return found;
}

/**
 * Where each PL/pgSQL statement starts in its body, as a character offset. The PL/pgSQL parser
 * gives a statement's line and the SQL it copied verbatim from the body, not its column: the text
 * is looked up on its line, after the statement before it (two statements can share a line). This
 * places what the parser identified; it reads no meaning into the SQL. Where PL/pgSQL edited the
 * text (it drops `INTO target` from a SELECT), the longest prefix that is found places it, else the
 * line's first character does.
 */
const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);

export function locateBodyStatements(body: string, statements: readonly BodyStatement[]): Map<BodyStatement, { start: number; end: number }> {
  const { lineStarts } = new SourceText(body);
  const located = new Map<BodyStatement, { start: number; end: number }>();
  let cursor = 0;
  for (const s of statements) {
    const lineStart = lineStarts[s.lineno - 1];
    if (lineStart === undefined) continue;
    const lineEnd = lineStarts[s.lineno] ?? body.length + 1;
    const from = Math.max(lineStart, Math.min(cursor, lineEnd - 1));
    let start = -1;
    let end = -1;
    for (let length = s.text.length; length > 0 && start < 0; length = length > 16 ? Math.floor(length / 2) : length - 1) {
      const at = body.indexOf(s.text.slice(0, length), from);
      // A statement's own text starts on its line; an EXECUTE's expression may follow on a later one.
      if (at >= 0 && (s.execute || at < lineEnd)) {
        start = at;
        end = at + (length === s.text.length ? length : s.text.length);
      }
    }
    if (start < 0) {
      start = from;
      while (start < lineEnd - 1 && isSpace(body.charCodeAt(start))) start++;
      end = start;
    } else if (s.execute) {
      // The statement starts at its EXECUTE keyword, before the expression.
      let k = start;
      while (k > lineStart && isSpace(body.charCodeAt(k - 1))) k--;
      if (k - 7 >= lineStart && body.slice(k - 7, k).toLowerCase() === 'execute') start = k - 7;
    }
    located.set(s, { start, end: Math.min(end, body.length) });
    cursor = Math.max(cursor, end);
  }
  return located;
}

/**
 * Maps character offsets in a routine body to offsets in the file, or null when the body cannot
 * be placed exactly. `literal` is where its string literal starts in `text`: a dollar-quoted body
 * is the text verbatim; in a plain single-quoted one each `''` is one quote of the body. An escape
 * string (`E'...'`) is not mapped.
 */
export function placeBody(text: string, literal: number, body: string): ((offset: number) => number) | null {
  if (text.charCodeAt(literal) === 36) {
    const open = dollarTagEnd(text, literal);
    if (open < 0 || text.slice(open, open + body.length) !== body) return null;
    return (offset) => open + offset;
  }
  if (text.charCodeAt(literal) !== 39) return null;
  // fileAt[i]: the file offset of the body's character i (and of its end).
  const fileAt = new Uint32Array(body.length + 1);
  let f = literal + 1;
  for (let i = 0; i < body.length; i++) {
    if (body[i] === "'") {
      if (text[f] !== "'" || text[f + 1] !== "'") return null;
      fileAt[i] = f;
      f += 2;
    } else {
      if (text[f] !== body[i]) return null;
      fileAt[i] = f++;
    }
  }
  fileAt[body.length] = f;
  return (offset) => fileAt[Math.max(0, Math.min(offset, body.length))]!;
}

/** Where the body's string literal starts, from a DefElem's location: a DO block's points at the string, CREATE FUNCTION's at `AS`. */
export function bodyLiteralStart(text: string, defElemStart: number): number {
  const c = text.charCodeAt(defElemStart);
  return c === 36 || c === 39 ? defElemStart : skipTrivia(text, defElemStart + 2);
}

export { visit as visitAst };
