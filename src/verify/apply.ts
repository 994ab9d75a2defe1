/**
 * Applies the migration history as the owner role, so that a statement that fails is reported
 * with its file and line and the rest still runs where it can: as if statement by statement (runs
 * of ordinary statements are sent together and replayed one by one when one of them fails).
 */
import type { DiscoveryProblem } from '../migrations/discover.js';
import { readMigration } from '../migrations/read.js';
import { parseScript, type ParsedScript } from '../sql/parse.js';
import { quoteIdent } from '../probe/values.js';
import { toSqlError } from '../probe/session.js';
import type { OwnerSession, VerifyDatabase } from './database.js';
import type { AstNode } from '../sql/parse.js';

export interface MigrationFailure {
  file: string;
  line: number;
  column: number;
  message: string;
  sqlState: string | null;
}

export interface AppliedMigrations {
  files: string[];
  statements: number;
  failures: MigrationFailure[];
  /**
   * Role statements the owner may not run (a role the migrations create, with BYPASSRLS), applied
   * in the admin session instead. Nothing else ever is: not a SUPERUSER, not a grant of a role the
   * migrations did not create (pg_execute_server_program), not an extension.
   */
  appliedAsSuperuser: { file: string; line: number; statement: string }[];
  /** Roles the migrations create (`CREATE ROLE`), lower-case. */
  createdRoles: Set<string>;
}

const optionOn = (options: AstNode[] | undefined, name: string) => (options ?? []).some((o) => o.DefElem?.defname === name && o.DefElem?.arg?.Boolean?.boolval === true);

/**
 * May this statement, refused to the owner (42501), run in the admin session? Only a role
 * statement that gives no one a superuser's reach: creating or altering a role the migrations
 * create (BYPASSRLS is what the probe then finds), without SUPERUSER, not the owner itself; or
 * granting only roles the migrations create. Everything else (an untrusted extension, a grant of
 * a predefined role such as pg_execute_server_program, SUPERUSER) fails and is reported.
 */
function adminMayRun(node: AstNode, kind: string, owner: string, created: ReadonlySet<string>): boolean {
  const name = (r: unknown) => String(r ?? '').toLowerCase();
  if (kind === 'CreateRoleStmt') return !optionOn(node.options, 'superuser') && created.has(name(node.role));
  if (kind === 'AlterRoleStmt') {
    const role = name(node.role?.rolename);
    return !optionOn(node.options, 'superuser') && role !== owner.toLowerCase() && created.has(role);
  }
  if (kind === 'GrantRoleStmt') return ((node.granted_roles ?? []) as AstNode[]).every((g) => created.has(name(g.AccessPriv?.priv_name)));
  return false;
}

/**
 * In a superuser session (PGlite) the owner is entered with SET ROLE, so statements that switch
 * roles would leave it. They are given the meaning they have when the owner logs in itself:
 * RESET ROLE and SET ROLE NONE return to the owner; SET SESSION AUTHORIZATION needs a superuser
 * login and fails; DISCARD ALL returns to the owner. `null`: run the statement as written.
 */
function roleSwitchAsOwner(node: AstNode, kind: string, owner: string): { run: string | null; refuse?: string } | null {
  const asOwner = `SET ROLE ${quoteIdent(owner)}`;
  if (kind === 'VariableSetStmt') {
    const setting = String(node.name ?? '').toLowerCase();
    if (setting === 'session_authorization') return { run: null, refuse: 'permission denied to set session authorization: the migrations run as the owner role verify created, which is not a superuser' };
    if (setting !== 'role') return null;
    const target = node.args?.[0]?.A_Const?.sval?.sval as string | undefined;
    if (node.kind === 'VAR_RESET' || node.kind === 'VAR_SET_DEFAULT' || target?.toLowerCase() === 'none') return { run: asOwner };
    return null;
  }
  if (kind === 'DiscardStmt' && node.target === 'DISCARD_ALL') return { run: null };
  return null;
}

/** `text` with the password a role statement sets shown as '***' (verify echoes the statements it applied as admin). */
export function redactPassword(text: string, node: AstNode): string {
  const options = (node.options ?? []) as AstNode[];
  let out = text;
  for (const o of options) {
    const value = o.DefElem?.defname === 'password' ? (o.DefElem.arg?.String?.sval as string | undefined) : undefined;
    if (value) out = out.split(`'${value.replace(/'/g, "''")}'`).join("'***'").split(value).join('***');
  }
  return out;
}

/** Statements after which a superuser session is checked for an escape (PL/pgSQL can switch roles too). */
const ESCAPE_KINDS = new Set(['VariableSetStmt', 'DiscardStmt', 'DoStmt', 'ExecuteStmt', 'CallStmt', 'SelectStmt']);

/**
 * Statements that are sent alone: role and session statements (their meaning is translated, an
 * escape is checked after them, a refused role statement may be retried), transaction control,
 * and those PostgreSQL refuses inside a transaction block.
 */
const ALONE_KINDS = new Set([
  ...ESCAPE_KINDS,
  'TransactionStmt',
  'CreateRoleStmt',
  'AlterRoleStmt',
  'AlterRoleSetStmt',
  'DropRoleStmt',
  'GrantRoleStmt',
  'VariableShowStmt',
  'VacuumStmt',
  'CreatedbStmt',
  'DropdbStmt',
  'AlterSystemStmt',
  'CreateTableSpaceStmt',
  'DropTableSpaceStmt',
  'ReindexStmt',
  'CreateSubscriptionStmt',
  'AlterSubscriptionStmt',
  'DropSubscriptionStmt',
  'CheckPointStmt',
  'ClusterStmt',
  'CopyStmt',
  'LoadStmt',
  'ListenStmt',
  'NotifyStmt',
]);

function batchable(node: AstNode, kind: string): boolean {
  if (ALONE_KINDS.has(kind)) return false;
  if (kind === 'IndexStmt' && node.concurrent) return false;
  if (kind === 'DropStmt' && node.concurrent) return false;
  if (kind === 'AlterEnumStmt') return false;
  return true;
}

/** Whether the session is inside a transaction block after this transaction statement. */
function transactionAfter(node: AstNode, before: boolean): boolean {
  const kind = String(node.kind ?? '');
  if (kind === 'TRANS_STMT_BEGIN' || kind === 'TRANS_STMT_START') return true;
  if (['TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK', 'TRANS_STMT_PREPARE', 'TRANS_STMT_COMMIT_PREPARED', 'TRANS_STMT_ROLLBACK_PREPARED'].includes(kind)) return false;
  return before;
}

/** SQLSTATEs of a prelude statement whose object is already there (a cluster-wide role from an earlier run, a schema the server ships). */
const ALREADY_THERE = new Set(['42710', '42P06', '42P07', '42723', '42704']);

/**
 * Creates what a platform preset says exists before the first migration (its roles, schemas,
 * tables and identity functions), as the superuser, so the migrations apply as they do on the
 * platform. Statements whose object already exists are skipped; any other failure is returned
 * with its prelude line, like a migration's.
 */
export async function applyPrelude(db: VerifyDatabase, name: string, prelude: string): Promise<MigrationFailure[]> {
  const script = parseScript(prelude);
  const failures: MigrationFailure[] = [];
  await db.exec('RESET ROLE');
  for (const statement of script.statements) {
    try {
      await db.exec(script.source.text.slice(statement.start, statement.end));
    } catch (error) {
      const e = toSqlError(error);
      if (e.sqlState && ALREADY_THERE.has(e.sqlState)) continue;
      const at = script.source.position(statement.start);
      failures.push({ file: `<preset ${name}>`, line: at.line, column: at.column, message: e.message, sqlState: e.sqlState });
    }
  }
  return failures;
}

export interface ReadMigrations {
  scripts: Map<string, ParsedScript>;
  /**
   * Files (and directories) that were not applied, or not as written: not read (the reason at
   * line 1), or not valid UTF-8 text (at the NUL byte or invalid sequence, as PostgreSQL's
   * 22021). Each is a failure of the run, as `check` makes each a parse-error.
   */
  failures: MigrationFailure[];
}

/** Reads the migrations as `check` does (src/migrations/read.ts): what was not read is applied as empty, and reported. */
export function readMigrations(files: readonly string[], maxBytes: number, unreadable: readonly DiscoveryProblem[] = []): ReadMigrations {
  const scripts = new Map<string, ParsedScript>();
  const failures: MigrationFailure[] = unreadable.map((p) => ({ file: p.path, line: 1, column: 1, message: `not applied: ${p.reason}`, sqlState: null }));
  for (const file of files) {
    const read = readMigration(file, maxBytes);
    if (!read.ok) {
      failures.push({ file, line: 1, column: 1, message: `not applied: ${read.reason}`, sqlState: null });
      scripts.set(file, parseScript(''));
      continue;
    }
    const script = parseScript(read.text);
    for (const problem of read.problems) {
      const at = script.source.position(problem.offset);
      failures.push({ file, line: at.line, column: at.column, message: `${problem.message}: PostgreSQL rejects the file; the statements around it were applied`, sqlState: '22021' });
    }
    scripts.set(file, script);
  }
  return { scripts, failures };
}

export function rolesCreatedBy(scripts: ReadonlyMap<string, ParsedScript>): Set<string> {
  const roles = new Set<string>();
  for (const script of scripts.values()) {
    for (const s of script.statements) if (s.kind === 'CreateRoleStmt' && typeof s.node.role === 'string') roles.add(s.node.role.toLowerCase());
  }
  return roles;
}

export async function applyMigrations(db: VerifyDatabase, scripts: ReadonlyMap<string, ParsedScript>, owner: string, readFailures: readonly MigrationFailure[] = []): Promise<AppliedMigrations> {
  const result: AppliedMigrations = { files: [...scripts.keys()], statements: 0, failures: readFailures.filter((f) => !scripts.has(f.file)), appliedAsSuperuser: [], createdRoles: rolesCreatedBy(scripts) };
  const session: OwnerSession = await db.openOwnerSession(owner);
  /** A statement that left the owner role: reported, and the owner restored before anything else runs. */
  const escaped = async (file: string, at: { line: number; column: number }, what: string) => {
    if (session.loggedIn || !(await session.isSuperuser())) return false;
    result.failures.push({ file, line: at.line, column: at.column, message: `${what} left the owner role and holds a superuser's rights: verify never runs migrations as a superuser, so it was stopped here and the owner role restored`, sqlState: '42501' });
    await session.restore();
    return true;
  };
  /** One statement on its own, with the role-switch meaning, the escape check and the admin retry. */
  type Statement = ParsedScript['statements'][number];
  const applyOne = async (file: string, statement: Statement, at: { line: number; column: number }, text: string): Promise<void> => {
    const node = statement.node as AstNode;
    const switched = session.loggedIn ? null : roleSwitchAsOwner(node, statement.kind, owner);
    if (switched?.refuse) {
      result.failures.push({ file, line: at.line, column: at.column, message: switched.refuse, sqlState: '42501' });
      return;
    }
    try {
      await session.exec(switched?.run ?? text);
      if (switched && switched.run === null) await session.restore();
      if (ESCAPE_KINDS.has(statement.kind)) await escaped(file, at, 'this statement');
    } catch (error) {
      const e = toSqlError(error);
      if (e.sqlState === '42501' && adminMayRun(node, statement.kind, owner, result.createdRoles)) {
        try {
          await session.execAsAdmin(text);
          result.appliedAsSuperuser.push({ file, line: at.line, statement: redactPassword(text, node).split('\n')[0]!.slice(0, 120) });
        } catch (retry) {
          const r = toSqlError(retry);
          result.failures.push({ file, line: at.line, column: at.column, message: r.message, sqlState: r.sqlState });
        }
        return;
      }
      // Inside a failed transaction block every later statement fails too: report the first only.
      if (e.sqlState !== '25P02') result.failures.push({ file, line: at.line, column: at.column, message: e.message, sqlState: e.sqlState });
    }
  };
  try {
    for (const [file, script] of scripts) {
      for (const failure of readFailures) if (failure.file === file) result.failures.push(failure);
      for (const error of script.errors) {
        const at = script.source.position(error.offset);
        result.failures.push({ file, line: at.line, column: at.column, message: `syntax error: ${error.message}`, sqlState: '42601' });
      }
      let inTransaction = false;
      let batch: { statement: Statement; at: { line: number; column: number }; text: string }[] = [];
      // A run of ordinary statements is sent as one query (one round trip, one transaction, or a
      // savepoint inside the file's own transaction). When any of them fails the whole run is undone
      // and replayed one statement at a time, so what is applied and what is reported (the failing
      // statement's file and line) are exactly as if each had been sent alone.
      const flush = async () => {
        const run = batch;
        batch = [];
        if (run.length === 0) return;
        if (run.length > 1) {
          const body = run.map((b) => b.text).join('\n;\n');
          try {
            await session.exec(inTransaction ? `SAVEPOINT rls_guard_batch;\n${body}\n;\nRELEASE SAVEPOINT rls_guard_batch` : body);
            return;
          } catch {
            await session.exec(inTransaction ? 'ROLLBACK TO SAVEPOINT rls_guard_batch; RELEASE SAVEPOINT rls_guard_batch' : 'ROLLBACK').catch(() => {});
          }
        }
        for (const b of run) await applyOne(file, b.statement, b.at, b.text);
      };
      for (const statement of script.statements) {
        const text = script.source.text.slice(statement.start, statement.end);
        const at = script.source.position(statement.start);
        result.statements++;
        if (batchable(statement.node as AstNode, statement.kind)) {
          batch.push({ statement, at, text });
          continue;
        }
        await flush();
        await applyOne(file, statement, at, text);
        if (statement.kind === 'TransactionStmt') inTransaction = transactionAfter(statement.node as AstNode, inTransaction);
      }
      await flush();
      // A file that left a transaction open (or failed inside one) must not swallow the next file.
      await escaped(file, script.source.position(script.source.text.length), 'a statement of this file');
      await session.restore();
    }
  } finally {
    await session.close();
  }
  return result;
}
