/**
 * The schema model: what the database looks like after the migrations replayed so far.
 * Every object remembers the statement that created it and the statements that last changed
 * the facts rules report on, so a finding lands where the defect was introduced.
 */
import type { AstNode } from '../sql/parse.js';
import type { SourceText } from '../sql/source.js';

/** Where a statement (or an expression in it) is: file and 1-based line/column range. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** The command a policy is for (`FOR ALL` by default). */
export type PolicyCommand = 'all' | 'select' | 'insert' | 'update' | 'delete';

export interface ColumnState {
  name: string;
  notNull: boolean;
  /** The type as written, normalized (`uuid`, `int4`, `text`); null when unknown (LIKE, CREATE TABLE AS). */
  type: string | null;
  location: SourceLocation;
}

/** A FOREIGN KEY: `columns` of this table reference `refColumns` (empty: the primary key) of `references`. */
export interface ForeignKey {
  columns: string[];
  /** `schema.name` of the referenced table, resolved when the constraint was created. */
  references: string;
  refColumns: string[];
}

export interface TableState {
  kind: 'table';
  schema: string;
  name: string;
  columns: Map<string, ColumnState>;
  primaryKey: string[];
  /** UNIQUE constraints, each as its column list. */
  uniqueKeys: string[][];
  foreignKeys: ForeignKey[];
  /** Created by the platform before the first migration (a preset's prelude), not by the project. */
  platform: boolean;
  /** `schema.name` of the partitioned parent, for partitions. */
  partitionOf: string | null;
  partitioned: boolean;
  rlsEnabled: boolean;
  rlsForced: boolean;
  /** Lower-case owner role; null means the role that ran the migrations. */
  owner: string | null;
  temporary: boolean;
  /** Known only from ALTER/policy statements (created outside the analyzed files): columns unknown. */
  external: boolean;
  createdAt: SourceLocation;
  rlsEnabledAt: SourceLocation | null;
  rlsForcedAt: SourceLocation | null;
  /** The statement that turned RLS off after it had been on (DISABLE ROW LEVEL SECURITY). */
  rlsDisabledAt: SourceLocation | null;
  /** The statement that turned FORCE off after it had been on (NO FORCE ROW LEVEL SECURITY). */
  forceDisabledAt: SourceLocation | null;
  ownerSetAt: SourceLocation | null;
  /** Columns dropped by a later ALTER TABLE, with the statement that dropped them. */
  columnsDroppedAt: Map<string, SourceLocation>;
}

/** Where an expression's AST came from: its `location` fields are UTF-8 byte offsets from `byteBase` in `source`. */
export interface ExpressionOrigin {
  file: string;
  source: SourceText;
  byteBase: number;
}

export interface PolicyState {
  name: string;
  /** `schema.name` of the table. */
  table: string;
  command: PolicyCommand;
  permissive: boolean;
  roles: string[];
  using: AstNode | null;
  withCheck: AstNode | null;
  /** The statements `using` and `withCheck` were written in (for rewrites that fix them). */
  usingFrom: ExpressionOrigin | null;
  withCheckFrom: ExpressionOrigin | null;
  createdAt: SourceLocation;
  /** The last CREATE or ALTER POLICY statement. */
  changedAt: SourceLocation;
}

export interface FunctionState {
  kind: 'function' | 'procedure';
  schema: string;
  name: string;
  /** Normalized argument type names (input arguments only), as PostgreSQL identifies the function. */
  argTypes: string[];
  argNames: string[];
  language: string;
  /** The normalized return type (`uuid`, `bool`, `trigger`, `event_trigger`, `void`, `record`). */
  returnType: string;
  /** RETURNS SETOF / RETURNS TABLE. */
  returnsSet: boolean;
  securityDefiner: boolean;
  /** The `search_path` the function pins (`SET search_path = ...`), or null when it pins none. */
  searchPath: string[] | null;
  /** The body as written (`AS $$ ... $$`), or null for SQL-standard bodies. */
  body: string | null;
  /** A SQL-standard body (`BEGIN ATOMIC ... END` / `RETURN ...`), parsed at creation time. */
  sqlBody: AstNode | null;
  /** Roles holding EXECUTE explicitly; `public` means everyone (PostgreSQL's default for functions). */
  executeGrantees: Set<string>;
  createdAt: SourceLocation;
  searchPathSetAt: SourceLocation | null;
  /** Offset of the statement text in its file and the full statement text (for PL/pgSQL parsing). */
  statementText: string;
  /** Transition tables triggers name for it (`REFERENCING NEW TABLE AS inserted`): relations in its body that are not tables. */
  transitionTables: Set<string>;
  platform: boolean;
}

export interface RoleState {
  name: string;
  superuser: boolean;
  bypassRls: boolean;
  login: boolean;
  inherit: boolean;
  /** Roles this role is a member of, with the statement that granted the membership. */
  memberOf: Map<string, SourceLocation>;
  /** Memberships granted WITH INHERIT FALSE: SET ROLE works, inherited privileges and policies do not. */
  noInherit: Set<string>;
  createdAt: SourceLocation;
  /** The statement that last granted SUPERUSER or BYPASSRLS. */
  privilegedAt: SourceLocation | null;
  /** Created by the platform (a preset's prelude), not by the project's migrations. */
  platform: boolean;
}

export interface ViewState {
  kind: 'view' | 'materialized view';
  schema: string;
  name: string;
  securityInvoker: boolean;
  /** Lower-case owner role; null means the role that ran the migrations. */
  owner: string | null;
  /** `schema.name` of every relation the view reads (resolved at creation). */
  reads: string[];
  createdAt: SourceLocation;
  changedAt: SourceLocation;
}

export type TablePrivilege = 'select' | 'insert' | 'update' | 'delete' | 'truncate' | 'references' | 'trigger' | 'maintain';

export interface TableGrant {
  privileges: Set<TablePrivilege>;
  /** The statement that last granted each privilege. */
  grantedAt: Map<TablePrivilege, SourceLocation>;
  /**
   * Privileges that came from the platform's default privileges (a preset's prelude), not from a
   * migration: `grantedAt` then names the CREATE TABLE they applied to, which the project can fix.
   */
  platformDefaults?: Set<TablePrivilege>;
}

/**
 * A Storage bucket a migration created (`INSERT INTO storage.buckets (id, name, public) VALUES ...`,
 * Supabase): a public bucket serves its objects by URL to anyone, whatever the policies say.
 */
export interface BucketState {
  id: string;
  name: string;
  /** `public = true`; null when the migration computes it (rls-guard cannot tell). */
  public: boolean | null;
  createdAt: SourceLocation;
  /** The statement that last set `public` (the INSERT, an ON CONFLICT DO UPDATE or an UPDATE). */
  changedAt: SourceLocation;
}

/** Something the analyzer could not see (dynamic SQL run by a migration). */
export interface UnverifiableStatement {
  location: SourceLocation;
  what: string;
}

/** A statement PostgreSQL rejects for a reason rls-guard knows (reported by the rule named). */
export interface RejectedStatement {
  ruleId: string;
  location: SourceLocation;
  message: string;
}

/** A forward migration that removed a protection (reported by no-rls-disable). */
export interface DroppedPolicy {
  table: string;
  policy: PolicyState;
  droppedAt: SourceLocation;
}

export function qualifiedKey(schema: string, name: string): string {
  return `${schema}.${name}`;
}

export class Catalog {
  readonly schemas = new Set<string>(['public']);
  readonly tables = new Map<string, TableState>();
  readonly views = new Map<string, ViewState>();
  /** table key -> policy name -> policy */
  readonly policies = new Map<string, Map<string, PolicyState>>();
  /** `schema.name(argtypes)` -> function */
  readonly functions = new Map<string, FunctionState>();
  readonly roles = new Map<string, RoleState>();
  /** table key -> grantee (lower-case, `public`) -> grant */
  readonly tableGrants = new Map<string, Map<string, TableGrant>>();
  /** Privileges future tables in a schema get (ALTER DEFAULT PRIVILEGES): schema -> grantee -> privileges. */
  /** Who holds USAGE on each schema (lower-case grantees, `public`); PUBLIC holds it on `public` by default. */
  readonly schemaUsage = new Map<string, Set<string>>([['public', new Set(['public'])]]);
  /** Roles future functions in a schema are executable by (ALTER DEFAULT PRIVILEGES ... ON FUNCTIONS): schema (`*` for all) -> grantees. */
  readonly defaultFunctionGrants = new Map<string, Set<string>>();
  readonly defaultTableGrants = new Map<string, Map<string, { privileges: Set<TablePrivilege>; at: SourceLocation; platform: boolean }>>();
  /** Storage buckets by id (rows of `storage.buckets` the migrations inserted). */
  readonly buckets = new Map<string, BucketState>();
  readonly unverifiable: UnverifiableStatement[] = [];
  readonly rejected: RejectedStatement[] = [];
  readonly droppedPolicies: DroppedPolicy[] = [];

  policiesOf(tableKey: string): PolicyState[] {
    return [...(this.policies.get(tableKey)?.values() ?? [])];
  }

  /**
   * Every role `role` is a member of, directly or through other roles (itself included). With
   * `inheritedOnly`, only memberships whose privileges (and policies) are inherited: not through a
   * NOINHERIT role or a grant WITH INHERIT FALSE.
   */
  memberships(role: string, options: { inheritedOnly?: boolean } = {}): Set<string> {
    const seen = new Set<string>([role]);
    const queue = [role];
    while (queue.length > 0) {
      const current = queue.pop()!;
      const state = this.roles.get(current);
      if (options.inheritedOnly && state && !state.inherit) continue;
      for (const parent of state?.memberOf.keys() ?? []) {
        if (options.inheritedOnly && state!.noInherit.has(parent)) continue;
        if (!seen.has(parent)) {
          seen.add(parent);
          queue.push(parent);
        }
      }
    }
    return seen;
  }
}
