/**
 * Replays parsed migrations, in order, into a `Catalog`.
 *
 * Each handler mirrors what PostgreSQL does with the statement as far as isolation is concerned,
 * and records where it happened. Statements that do not bear on isolation (indexes, data
 * changes, comments) are skipped. Statements PostgreSQL would reject for a reason rls-guard knows
 * change nothing and are recorded in `catalog.rejected`.
 */
import type { ParsedScript, SqlStatement, AstNode } from '../sql/parse.js';
import { roleName, searchPathFromSet } from './ast-names.js';
import { Catalog, qualifiedKey, type ExpressionOrigin, type SourceLocation, type TableState } from './catalog.js';
import { doBlock, invocation } from './replay-code.js';
import { alterFunction, createFunction, createTrigger } from './replay-functions.js';
import { alterPolicy, createPolicy } from './replay-policies.js';
import { deleteBuckets, insertBuckets, updateBuckets } from './replay-storage.js';
import { alterDefaultPrivileges, alterRole, createRole, grant, grantRole } from './replay-roles.js';
import { alterTable, drop, rename, setSchema, createTable } from './replay-tables.js';
import { createTableAs, createView } from './replay-views.js';

export interface ReplayInput {
  /** Path as it should appear in findings. */
  file: string;
  script: ParsedScript;
}

/** The statement kinds that change the schema model; every other statement is skipped. */
export const REPLAYED_STATEMENT_KINDS: ReadonlySet<string> = new Set([
  'CreateStmt', 'CreateTableAsStmt', 'ViewStmt', 'AlterTableStmt', 'RenameStmt', 'AlterObjectSchemaStmt',
  'DropStmt', 'CreatePolicyStmt', 'AlterPolicyStmt', 'CreateFunctionStmt', 'AlterFunctionStmt',
  'CreateRoleStmt', 'AlterRoleStmt', 'GrantRoleStmt', 'GrantStmt', 'AlterDefaultPrivilegesStmt',
  'CreateSchemaStmt', 'VariableSetStmt', 'DoStmt', 'SelectStmt', 'CallStmt', 'DropRoleStmt', 'CreateTrigStmt',
  // Data changes only for storage.buckets (see NARROWED_STATEMENT_KINDS in src/sql/parse.ts).
  'InsertStmt', 'UpdateStmt', 'DeleteStmt',
]);

export class Replayer {
  readonly catalog = new Catalog();
  /** True while replaying a preset's prelude: what it creates is the platform's. */
  platform = false;
  /** The session search_path of the migration runner (`SET search_path` in a migration changes it). */
  searchPath: string[] = ['public'];
  file = '';
  script!: ParsedScript;
  stmt!: SqlStatement;
  functionDefaultPublicExecute = true;
  /** The role a migration switched to (SET ROLE / SET SESSION AUTHORIZATION): it owns what it creates. */
  currentRole: string | null = null;
  /** Function keys by bare name, so finding a function (GRANT, ALTER, DROP) does not scan them all. */
  readonly functionKeysByName = new Map<string, Set<string>>();

  /** Replays a platform preset's prelude: every object it creates is marked as the platform's. */
  replayPrelude(input: ReplayInput): void {
    this.platform = true;
    try {
      this.replayFile(input);
    } finally {
      this.platform = false;
    }
  }

  replayFile(input: ReplayInput): void {
    this.file = input.file;
    this.script = input.script;
    // Each migration runs in a new session: SET search_path and SET ROLE in one file do not carry over.
    this.searchPath = ['public'];
    this.currentRole = null;
    for (const stmt of input.script.statements) {
      this.stmt = stmt;
      this.apply(stmt.kind, stmt.node);
    }
  }

  private hereCache: { stmt: SqlStatement; location: SourceLocation } | null = null;
  /** A statement inside the current one (a DO block's), replayed with its own location and text. */
  private inner: { location: SourceLocation; text: string } | null = null;

  /** The location of the current statement (one object per statement: locations are never mutated). */
  here(): SourceLocation {
    if (this.inner) return this.inner.location;
    if (this.hereCache?.stmt === this.stmt) return this.hereCache.location;
    const start = this.script.source.position(this.stmt.start);
    const end = this.script.source.position(this.stmt.end);
    const location = { file: this.file, line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
    this.hereCache = { stmt: this.stmt, location };
    return location;
  }

  /** The current statement's SQL text. */
  statementText(): string {
    return this.inner?.text ?? this.script.source.text.slice(this.stmt.start, this.stmt.end);
  }

  /** True while replaying a statement inside the current one (`replayInner`). */
  get replayingInner(): boolean {
    return this.inner !== null;
  }

  /** The location of the character range [start, end) of the current file. */
  locationOf(start: number, end: number): SourceLocation {
    const s = this.script.source.position(start);
    const e = this.script.source.position(end);
    return { file: this.file, line: s.line, column: s.column, endLine: e.line, endColumn: e.column };
  }

  /** Replays a statement inside the current one (a DO block's): what it does is recorded at `location`. */
  replayInner(kind: string, node: AstNode, inner: { location: SourceLocation; text: string }): void {
    const saved = this.inner;
    this.inner = inner;
    try {
      this.apply(kind, node);
    } finally {
      this.inner = saved;
    }
  }

  /** Where the `location` fields of the current statement's expressions point. */
  expressionOrigin(): ExpressionOrigin {
    return { file: this.file, source: this.script.source, byteBase: this.stmt.byteBase };
  }

  apply(kind: string, node: AstNode): void {
    if (!REPLAYED_STATEMENT_KINDS.has(kind)) return;
    switch (kind) {
      case 'CreateStmt':
        return createTable(this, node);
      case 'CreateTableAsStmt':
        return createTableAs(this, node);
      case 'ViewStmt':
        return createView(this, node);
      case 'AlterTableStmt':
        return alterTable(this, node);
      case 'RenameStmt':
        return rename(this, node);
      case 'AlterObjectSchemaStmt':
        return setSchema(this, node);
      case 'DropStmt':
        return drop(this, node);
      case 'CreatePolicyStmt':
        return createPolicy(this, node);
      case 'AlterPolicyStmt':
        return alterPolicy(this, node);
      case 'CreateFunctionStmt':
        return createFunction(this, node);
      case 'AlterFunctionStmt':
        return alterFunction(this, node);
      case 'CreateRoleStmt':
        return createRole(this, node);
      case 'AlterRoleStmt':
        return alterRole(this, node);
      case 'GrantRoleStmt':
        return grantRole(this, node);
      case 'GrantStmt':
        return grant(this, node, null);
      case 'AlterDefaultPrivilegesStmt':
        return alterDefaultPrivileges(this, node);
      case 'CreateSchemaStmt':
        this.catalog.schemas.add(String(node.schemaname ?? roleName(node.authrole)));
        for (const elt of (node.schemaElts ?? []) as AstNode[]) {
          const k = Object.keys(elt)[0]!;
          this.withDefaultSchema(String(node.schemaname), () => this.apply(k, elt[k]));
        }
        return;
      case 'DropRoleStmt':
        for (const r of (node.roles ?? []) as AstNode[]) this.catalog.roles.delete(roleName(r));
        return;
      case 'VariableSetStmt': {
        // SET takes no bind parameters: PostgreSQL rejects `SET x = $1` with a syntax error (42601).
        if (((node.args ?? []) as AstNode[]).some((a) => a.ParamRef)) {
          this.catalog.rejected.push({
            ruleId: 'parse-error',
            location: this.here(),
            message: `PostgreSQL cannot parse this statement: SET takes no bind parameters, so \`SET ${node.is_local ? 'LOCAL ' : ''}${String(node.name)} = $n\` fails with a syntax error (42601). Use SELECT set_config('${String(node.name)}', $1, true).`,
          });
          return;
        }
        const setting = String(node.name ?? '').toLowerCase();
        if (setting === 'role' || setting === 'session_authorization') {
          const value = node.kind === 'VAR_SET_VALUE' ? String(((node.args ?? []) as AstNode[])[0]?.A_Const?.sval?.sval ?? '') : '';
          this.currentRole = value && value.toLowerCase() !== 'none' && value.toLowerCase() !== 'default' ? value : null;
          return;
        }
        if (node.kind === 'VAR_RESET_ALL') this.currentRole = null;
        const path = searchPathFromSet(node);
        if (path && !path.includes('$current')) this.searchPath = path.filter((p) => p !== '$user' && p !== '"$user"');
        if (node.kind === 'VAR_RESET' && String(node.name).toLowerCase() === 'search_path') this.searchPath = ['public'];
        return;
      }
      case 'DoStmt':
        return doBlock(this, node);
      case 'CreateTrigStmt':
        return createTrigger(this, node);
      case 'InsertStmt':
        return insertBuckets(this, node);
      case 'UpdateStmt':
        return updateBuckets(this, node);
      case 'DeleteStmt':
        return deleteBuckets(this, node);
      case 'SelectStmt':
      case 'CallStmt':
        return invocation(this, node);
      default:
        return;
    }
  }

  withDefaultSchema(schema: string, fn: () => void): void {
    const saved = this.searchPath;
    this.searchPath = [schema, ...saved];
    try {
      fn();
    } finally {
      this.searchPath = saved;
    }
  }

  creationSchema(rv: AstNode): string {
    if (rv.relpersistence === 't') return 'pg_temp';
    return (rv.schemaname as string | undefined) ?? this.searchPath.find((s) => s !== 'pg_temp' && s !== 'pg_catalog') ?? 'public';
  }

  /** Resolves a relation reference the way PostgreSQL's search_path lookup does. */
  resolveRelation(schema: string | null, name: string): string | null {
    if (schema) {
      const key = qualifiedKey(schema, name);
      return this.catalog.tables.has(key) || this.catalog.views.has(key) ? key : null;
    }
    for (const s of ['pg_temp', ...this.searchPath]) {
      const key = qualifiedKey(s, name);
      if (this.catalog.tables.has(key) || this.catalog.views.has(key)) return key;
    }
    return null;
  }

  /** The table an ALTER / policy statement names; unknown tables are created as external. */
  tableFor(rv: AstNode, createIfMissing: boolean): TableState | null {
    const key = this.resolveRelation((rv.schemaname as string | undefined) ?? null, String(rv.relname));
    if (key) return this.catalog.tables.get(key) ?? null;
    if (!createIfMissing) return null;
    const table = this.newTable(this.creationSchema(rv), String(rv.relname), false);
    table.external = true;
    this.catalog.tables.set(qualifiedKey(table.schema, table.name), table);
    return table;
  }

  newTable(schema: string, name: string, temporary: boolean): TableState {
    return {
      kind: 'table',
      schema,
      name,
      columns: new Map(),
      primaryKey: [],
      uniqueKeys: [],
      foreignKeys: [],
      platform: this.platform,
      partitionOf: null,
      partitioned: false,
      rlsEnabled: false,
      rlsForced: false,
      owner: null,
      temporary,
      external: false,
      createdAt: this.here(),
      rlsEnabledAt: null,
      rlsForcedAt: null,
      rlsDisabledAt: null,
      forceDisabledAt: null,
      ownerSetAt: null,
      columnsDroppedAt: new Map(),
    };
  }






}
