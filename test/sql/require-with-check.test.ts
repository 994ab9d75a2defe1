/**
 * require-with-check (warning): policies for ALL, INSERT and UPDATE state an explicit WITH CHECK.
 * PostgreSQL reuses USING as the check for ALL and UPDATE, and an INSERT policy without one admits
 * no insert (SPEC behaviour 4).
 */
import { describe, expect, it } from 'vitest';
import { checkSql, ruleHits } from '../support/check-sql.js';

const RULE = 'require-with-check';
const hits = (sql: string | Record<string, string>, config = {}) => ruleHits(RULE, sql, config);
const TABLE = 'CREATE TABLE docs (tenant_id uuid NOT NULL); ALTER TABLE docs ENABLE ROW LEVEL SECURITY; ALTER TABLE docs FORCE ROW LEVEL SECURITY;';
const PIN = "tenant_id = current_setting('app.current_tenant')::uuid";

describe(RULE, () => {
  describe('ok', () => {
    it.each([
      ['ALL with WITH CHECK', `CREATE POLICY tenant ON docs USING (${PIN}) WITH CHECK (${PIN});`],
      ['INSERT with WITH CHECK', `CREATE POLICY tenant_insert ON docs FOR INSERT WITH CHECK (${PIN});`],
      ['UPDATE with WITH CHECK', `CREATE POLICY tenant_update ON docs FOR UPDATE USING (${PIN}) WITH CHECK (${PIN});`],
      ['SELECT needs none', `CREATE POLICY tenant_select ON docs FOR SELECT USING (${PIN});`],
      ['DELETE needs none', `CREATE POLICY tenant_delete ON docs FOR DELETE USING (${PIN});`],
      ['WITH CHECK added by a later ALTER POLICY', `CREATE POLICY tenant ON docs USING (${PIN});\nALTER POLICY tenant ON docs WITH CHECK (${PIN});`],
    ] as const)('%s', async (_name, policy) => {
      expect(await hits(`${TABLE}\n${policy}`)).toEqual([]);
    });

    it('a policy on a global table', async () => {
      expect(await hits('CREATE TABLE plans (id bigint); ALTER TABLE plans ENABLE ROW LEVEL SECURITY;\nCREATE POLICY read_all ON plans USING (true);', { globalTables: ['plans'] })).toEqual([]);
    });
  });

  describe('errors', () => {
    it('ALL without WITH CHECK: warning at the policy, saying USING is reused', async () => {
      const findings = (await checkSql(`${TABLE}\nCREATE POLICY tenant ON docs USING (${PIN});`)).filter((f) => f.ruleId === RULE);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ severity: 1, location: { file: '001.sql', line: 2, column: 1 } });
      expect(findings[0]!.message).toContain('Policy tenant on public.docs has no WITH CHECK: PostgreSQL silently reuses USING as the write check for ALL');
    });

    it('INSERT without WITH CHECK admits no insert at all', async () => {
      const [finding] = (await checkSql(`${TABLE}\nCREATE POLICY tenant_insert ON docs FOR INSERT;`)).filter((f) => f.ruleId === RULE);
      expect(finding).toMatchObject({ severity: 1, location: { line: 2 } });
      expect(finding!.message).toContain('an INSERT policy without WITH CHECK admits no insert at all');
    });

    it.each([
      ['UPDATE without WITH CHECK', `CREATE POLICY tenant_update ON docs FOR UPDATE USING (${PIN});`, ['001.sql:2']],
      ['ALTER POLICY changing USING: reported at the ALTER', `CREATE POLICY tenant ON docs USING (${PIN});\nALTER POLICY tenant ON docs USING (${PIN} AND true);`, ['001.sql:3']],
      ['dropped and recreated without WITH CHECK', `CREATE POLICY tenant ON docs USING (${PIN}) WITH CHECK (${PIN});\nDROP POLICY tenant ON docs;\nCREATE POLICY tenant ON docs USING (${PIN});`, ['001.sql:4']],
      ['each policy reported', `CREATE POLICY a ON docs USING (${PIN});\nCREATE POLICY b ON docs FOR UPDATE USING (${PIN});`, ['001.sql:2', '001.sql:3']],
    ] as const)('%s', async (_name, policy, expected) => {
      expect(await hits(`${TABLE}\n${policy}`)).toEqual(expected);
    });
  });
});
