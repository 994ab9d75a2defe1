/**
 * view-security-invoker: a view over a tenant table sets security_invoker = true (a view runs with
 * its owner's rights otherwise, SPEC behaviour 2); a materialized view over a tenant table is
 * reported (it stores rows RLS never filters again, behaviour 10).
 */
import { describe, expect, it } from 'vitest';
import { checkSql, ruleHits } from '../support/check-sql.js';

const RULE = 'view-security-invoker';
const hits = (sql: string | Record<string, string>, config = {}) => ruleHits(RULE, sql, config);
/** Line 1: a tenant table and a global one. Each case's view is on line 2. */
const TABLES = 'CREATE TABLE docs (id bigint, tenant_id uuid NOT NULL); ALTER TABLE docs ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY; CREATE TABLE plans (id bigint);';
const on = (...lines: string[]) => [TABLES, ...lines].join('\n');
const GLOBAL = { globalTables: ['plans'] };

describe(RULE, () => {
  describe('ok', () => {
    it.each([
      ['security_invoker = true', 'CREATE VIEW my_docs WITH (security_invoker = true) AS SELECT * FROM docs;'],
      ['security_invoker = on', 'CREATE VIEW my_docs WITH (security_invoker = on) AS SELECT * FROM docs;'],
      ['security_invoker alone', 'CREATE VIEW my_docs WITH (security_invoker) AS SELECT * FROM docs;'],
      ['a view over a global table', 'CREATE VIEW all_plans AS SELECT * FROM plans;'],
      ['a materialized view over a global table', 'CREATE MATERIALIZED VIEW plan_ids AS SELECT id FROM plans;'],
      ['set later by ALTER VIEW ... SET', 'CREATE VIEW my_docs AS SELECT * FROM docs;\nALTER VIEW my_docs SET (security_invoker = true);'],
      ['a view dropped', 'CREATE VIEW my_docs AS SELECT * FROM docs;\nDROP VIEW my_docs;'],
      ['a materialized view dropped', 'CREATE MATERIALIZED VIEW doc_ids AS SELECT id FROM docs;\nDROP MATERIALIZED VIEW doc_ids;'],
      ['a CTE named like the tenant table', 'CREATE VIEW v AS WITH docs AS (SELECT id FROM plans) SELECT * FROM docs;'],
    ] as const)('%s', async (_name, view) => {
      expect(await hits(on(view), GLOBAL)).toEqual([]);
    });
  });

  describe('errors', () => {
    it('a view without security_invoker over a table without FORCE: error at the view, naming the tenant table', async () => {
      const sql = 'CREATE TABLE docs (id bigint, tenant_id uuid NOT NULL); ALTER TABLE docs ENABLE ROW LEVEL SECURITY;\nCREATE VIEW my_docs AS SELECT * FROM docs;';
      const findings = (await checkSql(sql, GLOBAL)).filter((f) => f.ruleId === RULE);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ severity: 2, location: { file: '001.sql', line: 2, column: 1 } });
      expect(findings[0]!.message).toContain("View public.my_docs reads tenant table public.docs with its owner's rights: its owner owns public.docs, which has no FORCE ROW LEVEL SECURITY");
      expect(findings[0]!.message).toContain('Create it WITH (security_invoker = true).');
    });

    // Over a FORCE'd table the view's owner is filtered by the policies that apply to it.
    const PIN = "USING (tenant_id = current_setting('app.current_tenant')::uuid)";
    const forced = (policies: string, view = 'CREATE VIEW my_docs AS SELECT * FROM docs;') =>
      `CREATE ROLE app NOLOGIN; CREATE ROLE reporter NOLOGIN; CREATE ROLE auditor NOLOGIN BYPASSRLS;\nCREATE TABLE docs (id bigint, tenant_id uuid NOT NULL); ALTER TABLE docs ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY; GRANT SELECT ON docs TO app, reporter, auditor;\n${policies}\n${view}\nGRANT SELECT ON my_docs TO app;`;
    const APP = { appRoles: ['app'] };
    it.each([
      ['owner policies pin the rows (TO PUBLIC): warning', forced(`CREATE POLICY p ON docs ${PIN};`), 1, 'with the rights and policies of its owner'],
      ['no policy applies to the owner (the view shows nothing): warning', forced(`CREATE POLICY p ON docs TO app ${PIN};`), 1, 'filtered only while the owner stays subject to RLS'],
      ['a policy TO PUBLIC that admits every row: error naming it', forced(`CREATE POLICY p ON docs TO app ${PIN}; CREATE POLICY everyone ON docs FOR SELECT USING (true);`), 2, 'policy everyone on public.docs, which applies to its owner under FORCE, admits other tenants\' rows'],
      ['owned by a BYPASSRLS role: error', forced(`CREATE POLICY p ON docs ${PIN};`, 'CREATE VIEW my_docs AS SELECT * FROM docs; ALTER VIEW my_docs OWNER TO auditor;'), 2, 'its owner auditor bypasses row-level security'],
      ['owned by another role whose policy pins: warning', forced(`CREATE POLICY p ON docs TO app, reporter ${PIN};`, 'CREATE VIEW my_docs AS SELECT * FROM docs; ALTER VIEW my_docs OWNER TO reporter;'), 1, 'policies of its owner reporter'],
      ['owned by another role with an open policy of its own: error (FORCE or not, RLS applies to it)', forced(`CREATE POLICY p ON docs TO app ${PIN}; CREATE POLICY reports ON docs FOR SELECT TO reporter USING (true);`, 'CREATE VIEW my_docs AS SELECT * FROM docs; ALTER VIEW my_docs OWNER TO reporter;'), 2, 'policy reports on public.docs, which applies to reporter, admits'],
    ] as const)('%s', async (_name, sql, severity, text) => {
      const findings = (await checkSql(sql, APP)).filter((f) => f.ruleId === RULE);
      expect(findings.map((f) => f.severity)).toEqual([severity]);
      expect(findings[0]!.message).toContain(text);
    });

    it('a materialized view over a tenant table', async () => {
      const findings = (await checkSql(on('CREATE MATERIALIZED VIEW doc_ids AS SELECT id FROM docs;'), GLOBAL)).filter((f) => f.ruleId === RULE);
      expect(findings.map((f) => [f.severity, f.location.line])).toEqual([[2, 2]]);
      expect(findings[0]!.message).toContain('Materialized view public.doc_ids copies tenant table public.docs');
    });

    it.each([
      ['security_invoker = false', on('CREATE VIEW my_docs WITH (security_invoker = false) AS SELECT * FROM docs;'), ['001.sql:2']],
      ['a join with a global table', on('CREATE VIEW doc_plans AS SELECT d.id FROM plans p JOIN docs d ON d.id = p.id;'), ['001.sql:2']],
      ['a subquery', on('CREATE VIEW v AS SELECT id FROM plans WHERE id IN (SELECT id FROM docs);'), ['001.sql:2']],
      ['a view over a view over the tenant table', on('CREATE VIEW inner_docs WITH (security_invoker = true) AS SELECT * FROM docs;', 'CREATE VIEW outer_docs AS SELECT * FROM inner_docs;'), ['001.sql:3']],
      ['ALTER VIEW ... RESET (security_invoker): reported at the ALTER', on('CREATE VIEW my_docs WITH (security_invoker = true) AS SELECT * FROM docs;', 'ALTER VIEW my_docs RESET (security_invoker);'), ['001.sql:3']],
      ['ALTER VIEW ... SET (security_invoker = false)', on('CREATE VIEW my_docs WITH (security_invoker = true) AS SELECT * FROM docs;', 'ALTER VIEW my_docs SET (security_invoker = false);'), ['001.sql:3']],
      ['CREATE OR REPLACE VIEW without the option', on('CREATE VIEW my_docs WITH (security_invoker = true) AS SELECT * FROM docs;', 'CREATE OR REPLACE VIEW my_docs AS SELECT * FROM docs;'), ['001.sql:3']],
      ['schema-qualified view and table', 'CREATE SCHEMA crm; CREATE TABLE crm.docs (tenant_id uuid NOT NULL);\nCREATE VIEW crm.v AS SELECT * FROM crm.docs;', ['001.sql:2']],
      ['a quoted tenant table', 'CREATE TABLE "Tenant_Docs" (tenant_id uuid NOT NULL);\nCREATE VIEW v AS SELECT * FROM "Tenant_Docs";', ['001.sql:2']],
      ['a materialized view IF NOT EXISTS', on('CREATE MATERIALIZED VIEW IF NOT EXISTS doc_ids AS SELECT id FROM docs;'), ['001.sql:2']],
    ] as const)('%s', async (_name, sql, expected) => {
      expect(await hits(sql, GLOBAL)).toEqual(expected);
    });
  });
});
