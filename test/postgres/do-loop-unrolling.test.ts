/**
 * DO blocks that loop over a constant list of tables and EXECUTE format('... %I ...', t) are
 * replayed iteration by iteration. The claim checked here: what the replay says each table ends
 * with (RLS, FORCE, its policies) is what PostgreSQL's catalog says after running the same
 * migration, and a table the loop left out is still reported, and really leaks.
 */
import { describe, expect, it } from 'vitest';
import { analyzeMigrations } from '../../src/check.js';
import { loadSqlParser } from '../../src/sql/parse.js';
import { testConfig } from '../support/check-sql.js';
import { withScratchDatabase } from '../support/pg.js';
import { APP_CONFIG, ROLES_SQL, TENANT_A, TENANT_B, attempt, findings, lineOf } from './helpers.js';

const TABLES = ['invoices', 'orders', 'Line Items', 'select'];

const quoted = (t: string) => `"${t}"`;

const SCHEMA = `${TABLES.map((t) => `CREATE TABLE ${quoted(t)} (id int PRIMARY KEY, tenant_id uuid NOT NULL);
GRANT SELECT, INSERT, UPDATE, DELETE ON ${quoted(t)} TO app_user;`).join('\n')}
CREATE TABLE notes (id int PRIMARY KEY, tenant_id uuid NOT NULL);
GRANT SELECT, INSERT, UPDATE, DELETE ON notes TO app_user;
`;

/** The loop shapes migrations use, each over a constant list (notes is left out of every list). */
const LOOPS: Record<string, string> = {
  'FOREACH over a declared array': `DO $$
DECLARE
  t text;
  tables text[] := ARRAY['invoices', 'orders', 'Line Items', 'select'];
BEGIN
  FOREACH t IN ARRAY tables LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($f$CREATE POLICY tenant ON %I USING (tenant_id = current_setting('app.current_tenant')::uuid) WITH CHECK (tenant_id = current_setting('app.current_tenant')::uuid)$f$, t);
  END LOOP;
END $$;`,
  'FOR over unnest of an array literal, a variable built with quote_ident': `DO $$
DECLARE
  r record;
  q text;
BEGIN
  FOR r IN SELECT unnest('{invoices,orders,"Line Items",select}'::text[]) AS name LOOP
    q := 'ALTER TABLE ' || quote_ident(r.name) || ' ENABLE ROW LEVEL SECURITY';
    EXECUTE q;
    EXECUTE 'ALTER TABLE ' || quote_ident(r.name) || ' FORCE ROW LEVEL SECURITY';
    EXECUTE format('CREATE POLICY tenant ON %1$I USING (tenant_id = current_setting(%2$L)::uuid) WITH CHECK (tenant_id = current_setting(%2$L)::uuid)', r.name, 'app.current_tenant');
  END LOOP;
END $$;`,
  'FOREACH over ARRAY[...] inline, with FROM unnest': `DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['invoices', 'orders'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($f$CREATE POLICY tenant ON %I USING (tenant_id = current_setting('app.current_tenant')::uuid) WITH CHECK (tenant_id = current_setting('app.current_tenant')::uuid)$f$, t);
  END LOOP;
  FOR t IN SELECT x FROM unnest(ARRAY['Line Items', 'select']) AS x LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($f$CREATE POLICY tenant ON %I USING (tenant_id = current_setting('app.current_tenant')::uuid) WITH CHECK (tenant_id = current_setting('app.current_tenant')::uuid)$f$, t);
  END LOOP;
END $$;`,
};

interface TableTruth {
  rls: boolean;
  force: boolean;
  policies: string[];
}

describe('DO loops over constant lists: the replay matches PostgreSQL', () => {
  for (const [shape, loop] of Object.entries(LOOPS)) {
    it(shape, async () => {
      const sql = `${SCHEMA}\n${loop}\n`;
      await loadSqlParser();
      const { catalog, findings: all } = analyzeMigrations([{ file: '001.sql', text: sql }], testConfig(APP_CONFIG));
      const replayed: Record<string, TableTruth> = {};
      for (const name of [...TABLES, 'notes']) {
        const table = catalog.tables.get(`public.${name}`)!;
        replayed[name] = { rls: table.rlsEnabled, force: table.rlsForced, policies: catalog.policiesOf(`public.${name}`).map((p) => p.name).sort() };
      }
      // Nothing the loop ran is reported as unverifiable: it was evaluated.
      expect(all.filter((f) => f.ruleId === 'unverifiable-ddl')).toEqual([]);

      const truth = await withScratchDatabase(async (db) => {
        await db.query(ROLES_SQL);
        await db.query(sql);
        const { rows } = await db.query<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean; policies: string[] }>(
          `SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                  coalesce(array_agg(p.polname::text ORDER BY p.polname) FILTER (WHERE p.polname IS NOT NULL), '{}')::text[] AS policies
             FROM pg_class c LEFT JOIN pg_policy p ON p.polrelid = c.oid
            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
            GROUP BY 1, 2, 3`,
        );
        return Object.fromEntries(rows.map((r) => [r.relname, { rls: r.relrowsecurity, force: r.relforcerowsecurity, policies: r.policies }]));
      });
      expect(replayed).toEqual(truth);
    });
  }

  it('the table a loop leaves out is still reported, and the app reads every tenant of it', async () => {
    const sql = `${ROLES_SQL}\n${SCHEMA}\n${LOOPS['FOREACH over a declared array']}\n`;
    expect(await findings('require-rls', sql)).toEqual([{ ruleId: 'require-rls', at: `001.sql:${lineOf(sql, 'CREATE TABLE notes')}` }]);
    // The listed tables are safe: no error about them.
    const errors = (await findings('require-force-rls', sql)).concat(await findings('no-fail-open-policy', sql));
    expect(errors).toEqual([]);
    await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      await db.query(sql.replace(ROLES_SQL, ''));
      await db.query(`INSERT INTO notes VALUES (1, '${TENANT_A}'), (2, '${TENANT_B}'); INSERT INTO invoices VALUES (1, '${TENANT_A}'), (2, '${TENANT_B}')`);
      await db.asRole('app_user', { 'app.current_tenant': TENANT_A }, async (c) => {
        expect(await attempt(c, 'SELECT tenant_id FROM notes')).toMatchObject({ code: 'ok', rowCount: 2 });
        expect(await attempt(c, 'SELECT tenant_id FROM invoices')).toMatchObject({ code: 'ok', rowCount: 1 });
      });
    });
  });

  it('a loop whose EXECUTE uses an unknown value stays unverifiable', async () => {
    const sql = `${ROLES_SQL}\n${SCHEMA}\nDO $$
DECLARE t text;
BEGIN
  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
  END LOOP;
END $$;\n`;
    expect((await findings('unverifiable-ddl', sql)).length).toBe(1);
  });
});
