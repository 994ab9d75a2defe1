/**
 * require-tenant-policy (warning): an RLS tenant table has a permissive policy that applies to the
 * app roles. Without one every query returns no rows: safe, but almost always a forgotten policy.
 */
import { describe, expect, it } from 'vitest';
import { checkSql, ruleHits } from '../support/check-sql.js';

const RULE = 'require-tenant-policy';
const hits = (sql: string | Record<string, string>, config = {}) => ruleHits(RULE, sql, config);
const TABLE = 'CREATE TABLE docs (tenant_id uuid NOT NULL); ALTER TABLE docs ENABLE ROW LEVEL SECURITY; ALTER TABLE docs FORCE ROW LEVEL SECURITY;';
const PIN = "tenant_id = current_setting('app.current_tenant')::uuid";
const APP = { appRoles: ['app'] };
/** With app roles configured, only tables they hold a privilege on are reachable (SPEC section 3). */
const GRANT = 'GRANT SELECT ON docs TO app;';

describe(RULE, () => {
  describe('ok', () => {
    it.each([
      ['a permissive policy', `${TABLE}\nCREATE POLICY tenant ON docs USING (${PIN});`],
      ['no RLS: not this rule', 'CREATE TABLE docs (tenant_id uuid NOT NULL);'],
      ['a renamed policy still applies', `${TABLE}\nCREATE POLICY tenant ON docs USING (${PIN});\nALTER POLICY tenant ON docs RENAME TO tenant_isolation;`],
      ['dropped and recreated', `${TABLE}\nCREATE POLICY tenant ON docs USING (${PIN});\nDROP POLICY tenant ON docs;\nCREATE POLICY tenant ON docs USING (${PIN});`],
    ] as const)('%s', async (_name, sql) => {
      expect(await hits(sql)).toEqual([]);
    });

    it.each([
      ['policy TO the app role', `${TABLE}\nCREATE POLICY tenant ON docs TO app USING (${PIN});`],
      ['policy TO PUBLIC', `${TABLE}\nCREATE POLICY tenant ON docs TO PUBLIC USING (${PIN});`],
      ['policy TO a role the app is a member of', `CREATE ROLE tenant_users; CREATE ROLE app LOGIN; GRANT tenant_users TO app;\n${TABLE}\nCREATE POLICY tenant ON docs TO tenant_users USING (${PIN});`],
    ] as const)('%s (appRoles: app)', async (_name, sql) => {
      expect(await hits(sql, APP)).toEqual([]);
    });
  });

  describe('errors', () => {
    it('RLS without any policy: warning at the table', async () => {
      const findings = (await checkSql(TABLE)).filter((f) => f.ruleId === RULE);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ severity: 1, location: { file: '001.sql', line: 1 } });
      expect(findings[0]!.message).toContain('Tenant table public.docs has RLS enabled but no permissive policy that applies to any role');
    });

    it('only restrictive policies: they alone admit no rows', async () => {
      const [finding] = (await checkSql(`${TABLE}\nCREATE POLICY tenant ON docs AS RESTRICTIVE USING (${PIN});`)).filter((f) => f.ruleId === RULE);
      expect(finding!.message).toContain('(restrictive policies alone admit no rows)');
    });

    it('a policy only for another role: the message names the app roles', async () => {
      const [finding] = (await checkSql(`${TABLE}\nCREATE POLICY tenant ON docs TO admin USING (${PIN});\n${GRANT}`, APP)).filter((f) => f.ruleId === RULE);
      expect(finding).toMatchObject({ severity: 1, location: { line: 1 } });
      expect(finding!.message).toContain('no permissive policy that applies to the app roles (app)');
    });

    it.each([
      ['ALTER POLICY ... TO another role', `${TABLE}\nCREATE POLICY tenant ON docs TO app USING (${PIN});\nALTER POLICY tenant ON docs TO admin;\n${GRANT}`, ['001.sql:1']],
      ['the only policy dropped', `${TABLE}\nCREATE POLICY tenant ON docs TO app USING (${PIN});\nDROP POLICY tenant ON docs;\n${GRANT}`, ['001.sql:1']],
      ['RLS enabled in a later file: reported there', { '001_a.sql': `CREATE TABLE docs (tenant_id uuid NOT NULL);\n${GRANT}`, '002_b.sql': 'ALTER TABLE docs ENABLE ROW LEVEL SECURITY;' }, ['002_b.sql:1']],
    ] as const)('%s', async (_name, sql, expected) => {
      expect(await hits(sql, APP)).toEqual(expected);
    });
  });
});
