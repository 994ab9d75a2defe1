/**
 * Applies the migration history statement by statement as the owner role, so a statement that
 * fails is reported with its file and line and the rest still runs where it can.
 */
import type { DiscoveryProblem } from '../migrations/discover.js';
import { readMigration } from '../migrations/read.js';
import { parseScript, type ParsedScript } from '../sql/parse.js';
import { quoteIdent } from '../probe/values.js';
import { toSqlError } from '../probe/session.js';
import type { VerifyDatabase } from './database.js';

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
  /** Statements the owner role may not run (roles with attributes, extensions), applied as the superuser instead. */
  appliedAsSuperuser: { file: string; line: number; statement: string }[];
  /** Roles the migrations create (`CREATE ROLE`), lower-case. */
  createdRoles: Set<string>;
}

/** Statement kinds that need a superuser's rights (BYPASSRLS, SUPERUSER, untrusted extensions). */
const SUPERUSER_KINDS = new Set(['CreateRoleStmt', 'AlterRoleStmt', 'GrantRoleStmt', 'CreateExtensionStmt', 'AlterRoleSetStmt']);

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
  const asOwner = `SET ROLE ${quoteIdent(owner)}`;
  for (const [file, script] of scripts) {
    for (const failure of readFailures) if (failure.file === file) result.failures.push(failure);
    for (const error of script.errors) {
      const at = script.source.position(error.offset);
      result.failures.push({ file, line: at.line, column: at.column, message: `syntax error: ${error.message}`, sqlState: '42601' });
    }
    await db.exec(asOwner);
    for (const statement of script.statements) {
      const text = script.source.text.slice(statement.start, statement.end);
      const at = script.source.position(statement.start);
      result.statements++;
      try {
        await db.exec(text);
      } catch (error) {
        const e = toSqlError(error);
        if (e.sqlState === '42501' && SUPERUSER_KINDS.has(statement.kind)) {
          try {
            await db.exec('RESET ROLE');
            await db.exec(text);
            result.appliedAsSuperuser.push({ file, line: at.line, statement: text.split('\n')[0]!.slice(0, 120) });
            continue;
          } catch (retry) {
            const r = toSqlError(retry);
            result.failures.push({ file, line: at.line, column: at.column, message: r.message, sqlState: r.sqlState });
            continue;
          } finally {
            await db.exec(asOwner).catch(() => {});
          }
        }
        // Inside a failed transaction block every later statement fails too: report the first only.
        if (e.sqlState !== '25P02') result.failures.push({ file, line: at.line, column: at.column, message: e.message, sqlState: e.sqlState });
      }
    }
    // A file that left a transaction open (or failed inside one) must not swallow the next file.
    await db.exec('ROLLBACK').catch(() => {});
  }
  await db.exec('RESET ROLE');
  return result;
}
