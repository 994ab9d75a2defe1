/**
 * parse-error: a statement PostgreSQL cannot parse fails the migration (42601) at the line the
 * rule reports. Run statement by statement (psql without ON_ERROR_STOP), the broken statement is
 * skipped and the table stays open; the rule still analyzes the rest of the file.
 */
import { describe, expect, it } from 'vitest';
import { withScratchDatabase, type ScratchDatabase } from '../support/pg.js';
import { ROLES_SQL, TENANT_A, TENANT_B, applyMigration, errors, findings, lineOf, safeTable, seedTwoTenants, seenBy } from './helpers.js';

const RULE = 'parse-error';
const FIXED = safeTable('notes');
const TYPO = FIXED.replace('ALTER TABLE notes ENABLE ROW LEVEL SECURITY;', 'ALTER TABLE notes ENABLE ROW LEVEL SECURTY;');
const NO_PARENS = FIXED.replace(
  `  USING (tenant_id = current_setting('app.current_tenant')::uuid)\n`,
  `  USING tenant_id = current_setting('app.current_tenant')::uuid\n`,
);

/** Applies the whole file at once (one implicit transaction): the SQLSTATE and the 1-based line of PostgreSQL's error position. */
async function applyWhole(db: ScratchDatabase, sql: string): Promise<{ code: string; line: number }> {
  try {
    await db.query(sql);
  } catch (error) {
    const e = error as { code: string; position: string };
    return { code: e.code, line: sql.slice(0, Number(e.position) - 1).split('\n').length };
  }
  return { code: 'ok', line: 0 };
}

/** Applies the file statement by statement as the owner, going on after failures (psql's default). */
async function applyEach(db: ScratchDatabase, sql: string): Promise<string[]> {
  const codes: string[] = [];
  for (const stmt of sql.split(/;\n|;$/).filter((s) => s.trim())) {
    try {
      await applyMigration(db, `${stmt};`, 'mig_owner');
      codes.push('ok');
    } catch (error) {
      codes.push((error as { code: string }).code);
    }
  }
  return codes;
}

async function sqlstateOf(db: ScratchDatabase, sql: string): Promise<string> {
  return (await applyWhole(db, sql)).code;
}

describe(`${RULE} on PostgreSQL`, () => {
  it('a misspelt ENABLE ROW LEVEL SECURITY: reported at PostgreSQL\'s error line (42601); the rest is analyzed (require-rls), and run statement by statement the app reads every tenant', async () => {
    const line = lineOf(TYPO, 'SECURTY');
    expect(await findings(RULE, TYPO)).toEqual([{ ruleId: RULE, at: `001.sql:${line}` }]);
    expect(await findings('require-rls', TYPO)).toEqual([{ ruleId: 'require-rls', at: `001.sql:${lineOf(TYPO, 'CREATE TABLE notes')}` }]);
    await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      expect(await applyWhole(db, TYPO)).toEqual({ code: '42601', line });
      expect(await applyEach(db, TYPO)).toEqual(['ok', '42601', 'ok', 'ok', 'ok']);
      await seedTwoTenants(db, 'notes');
      expect(await seenBy(db, 'app_user', TENANT_A, 'SELECT tenant_id FROM notes')).toEqual([TENANT_A, TENANT_B]);
    });
  });

  it('a policy expression without parentheses: reported at PostgreSQL\'s error line (42601), and the table is left with no policy', async () => {
    const line = lineOf(NO_PARENS, 'USING tenant_id');
    expect(await findings(RULE, NO_PARENS)).toEqual([{ ruleId: RULE, at: `001.sql:${line}` }]);
    await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      expect(await applyWhole(db, NO_PARENS)).toEqual({ code: '42601', line });
      expect(await applyEach(db, NO_PARENS)).toEqual(['ok', 'ok', 'ok', '42601', 'ok']);
      expect((await db.query(`SELECT count(*)::int AS n FROM pg_policies WHERE tablename = 'notes'`)).rows).toEqual([{ n: 0 }]);
    });
  });

  it('fixed: the statements spelt right: no finding, no error, the whole file applies and the app sees only its tenant', async () => {
    expect(await findings(RULE, FIXED)).toEqual([]);
    expect(await errors(FIXED)).toEqual([]);
    await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      await applyMigration(db, FIXED, 'mig_owner');
      await seedTwoTenants(db, 'notes');
      expect(await seenBy(db, 'app_user', TENANT_A, 'SELECT tenant_id FROM notes')).toEqual([TENANT_A]);
    });
  });
  // DISCREPANCY. These policies parse (libpg-query's raw grammar accepts them), but PostgreSQL
  // rejects them when the statement runs, with SQLSTATE 42601: an INSERT policy takes only WITH
  // CHECK, and a SELECT (or DELETE) policy takes no WITH CHECK. The migration fails, which the
  // severity contract makes an error; rls-guard reports only a require-with-check warning for the
  // first and nothing at all for the second, and models both as policies that exist. Like
  // `SET (row_security = off)` (no-rls-disable), they should be reported as statements PostgreSQL rejects.
  const PIN = `tenant_id = current_setting('app.current_tenant')::uuid`;
  const REJECTED = {
    'FOR INSERT USING': `${FIXED}\nCREATE POLICY notes_insert ON notes FOR INSERT TO app_user\n  USING (${PIN});`,
    'FOR SELECT ... WITH CHECK': `${FIXED}\nCREATE POLICY notes_select ON notes FOR SELECT TO app_user\n  USING (${PIN}) WITH CHECK (${PIN});`,
  };
  for (const [what, sql] of Object.entries(REJECTED)) {
    it(`CREATE POLICY ... ${what} parses but PostgreSQL rejects it (42601): no error-severity finding`, async () => {
      const line = lineOf(sql, 'ON notes FOR ');
      await withScratchDatabase(async (db) => {
        await db.query(ROLES_SQL);
        expect(await sqlstateOf(db, sql)).toBe('42601');
      });
      expect((await errors(sql)).filter((e) => e.endsWith(`@001.sql:${line}`))).toHaveLength(1);
    });
  }
});
