/**
 * policy-initplan (warning, opt-in): a policy calls auth.uid(), auth.jwt(), current_setting() or a
 * tenant function per row instead of once per query as (SELECT ...). Off unless turned on.
 */
import { describe, expect, it } from 'vitest';
import { checkSql, ruleHits } from '../support/check-sql.js';

const RULE = 'policy-initplan';
const ON = { rules: { [RULE]: 'warn' as const } };
const hits = (sql: string, config = {}) => ruleHits(RULE, sql, { ...ON, ...config });
const TABLE = 'CREATE TABLE docs (id bigint, tenant_id uuid NOT NULL, user_id uuid); ALTER TABLE docs ENABLE ROW LEVEL SECURITY;';
const on = (policy: string) => `${TABLE}\n${policy}`;

/** Applies a finding's suggestion to the text, as ESLint does. */
function applySuggestion(text: string, edits: { start: { line: number; column: number }; end: { line: number; column: number }; text: string }[]): string {
  const lines = text.split('\n');
  const offset = (p: { line: number; column: number }) => lines.slice(0, p.line - 1).reduce((n, l) => n + l.length + 1, 0) + p.column - 1;
  return [...edits].sort((a, b) => offset(b.start) - offset(a.start)).reduce((t, e) => t.slice(0, offset(e.start)) + e.text + t.slice(offset(e.end)), text);
}

describe(RULE, () => {
  describe('ok', () => {
    it.each([
      ['(SELECT auth.uid())', 'CREATE POLICY p ON docs USING (user_id = (SELECT auth.uid()));'],
      ['(select auth.uid())::text with a cast outside', 'CREATE POLICY p ON docs USING (user_id::text = (select auth.uid())::text);'],
      ['a cast inside the subquery', 'CREATE POLICY p ON docs USING (user_id::text = (SELECT auth.uid()::text));'],
      ['(SELECT current_setting(...))', "CREATE POLICY p ON docs USING (tenant_id = (SELECT current_setting('app.current_tenant', true))::uuid) WITH CHECK (tenant_id = (SELECT current_setting('app.current_tenant', true)::uuid));"],
      ['a JWT claim read once', "CREATE POLICY p ON docs USING (tenant_id = ((SELECT auth.jwt()) ->> 'tenant_id')::uuid);"],
      ['a function of a column cannot be hoisted', 'CREATE FUNCTION is_member(t uuid) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT true $$;\nCREATE POLICY p ON docs USING (is_member(tenant_id));'],
      ['a membership subquery with a wrapped uid', 'CREATE TABLE members (tenant_id uuid, user_id uuid);\nCREATE POLICY p ON docs USING (tenant_id IN (SELECT m.tenant_id FROM members m WHERE m.user_id = (SELECT auth.uid())));'],
      ['no identity call at all', 'CREATE POLICY p ON docs USING (true);'],
      ['a policy on a table without RLS is never evaluated', 'CREATE TABLE open (user_id uuid);\nCREATE POLICY p ON open USING (user_id = auth.uid());'],
    ] as const)('%s', async (_name, sql) => {
      expect(await hits(on(sql))).toEqual([]);
    });

    it('is off unless turned on', async () => {
      expect(await ruleHits(RULE, on('CREATE POLICY p ON docs USING (user_id = auth.uid());'))).toEqual([]);
    });
  });

  describe('warnings', () => {
    it('auth.uid() per row: a warning at the policy, with a suggestion that wraps it', async () => {
      const sql = on('CREATE POLICY p ON docs USING (user_id = auth.uid()) WITH CHECK (user_id = auth.uid());');
      const findings = (await checkSql(sql, ON)).filter((f) => f.ruleId === RULE);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ severity: 1, location: { file: '001.sql', line: 2, column: 1 } });
      expect(findings[0]!.message).toContain('Policy p on public.docs calls auth.uid() for every row it filters');
      expect(findings[0]!.message).toContain('Write (SELECT auth.uid())');
      const [suggestion] = findings[0]!.suggestions!;
      expect(suggestion!.edits).toHaveLength(2);
      const fixed = applySuggestion(sql, suggestion!.edits);
      expect(fixed.split('\n')[1]).toBe('CREATE POLICY p ON docs USING (user_id = (SELECT auth.uid())) WITH CHECK (user_id = (SELECT auth.uid()));');
      // The rewrite is what the rule asks for: it reports nothing on it.
      expect(await hits(fixed)).toEqual([]);
    });

    it('the suggestion keeps casts, string literals with parentheses, multi-byte text and nested calls intact', async () => {
      const sql = on("-- é, ü: multi-byte text before the policy\nCREATE POLICY \"pé\" ON docs USING (tenant_id = current_setting('app.tenant)(', true)::uuid AND tenant_id = app.tenant_of(current_setting('x', true)));");
      const [finding] = (await checkSql(sql, { ...ON, tenantFunctions: ['app.tenant_of'] })).filter((f) => f.ruleId === RULE);
      const fixed = applySuggestion(sql, finding!.suggestions![0]!.edits);
      expect(fixed.split('\n')[2]).toBe("CREATE POLICY \"pé\" ON docs USING (tenant_id = (SELECT current_setting('app.tenant)(', true))::uuid AND tenant_id = (SELECT app.tenant_of(current_setting('x', true))));");
    });

    it.each([
      ['auth.jwt() claim', "CREATE POLICY p ON docs USING (tenant_id = (auth.jwt() ->> 'tenant_id')::uuid);"],
      ['auth.role()', "CREATE POLICY p ON docs FOR SELECT USING (auth.role() = 'authenticated');"],
      ['current_setting() of any setting', "CREATE POLICY p ON docs USING (tenant_id = current_setting('app.current_tenant')::uuid);"],
      ['inside a membership subquery (per row it scans)', 'CREATE TABLE members (tenant_id uuid, user_id uuid);\nCREATE POLICY p ON docs USING (tenant_id IN (SELECT m.tenant_id FROM members m WHERE m.user_id = auth.uid()));'],
      ['a correlated (SELECT ...) is still per row', 'CREATE POLICY p ON docs USING ((SELECT user_id = auth.uid()));'],
      ['only in WITH CHECK', 'CREATE POLICY p ON docs FOR INSERT WITH CHECK (user_id = auth.uid());'],
      ['changed by ALTER POLICY: reported at the ALTER', 'CREATE POLICY p ON docs USING (user_id = (SELECT auth.uid()));\nALTER POLICY p ON docs USING (user_id = auth.uid());'],
    ] as const)('%s', async (_name, sql) => {
      expect(await hits(on(sql))).toEqual([`001.sql:${on(sql).split('\n').length}`]);
    });

    it('a configured tenant function', async () => {
      expect(await hits(on('CREATE POLICY p ON docs USING (tenant_id = app.current_tenant_id());'), { tenantFunctions: ['app.current_tenant_id()'] })).toEqual(['001.sql:2']);
    });

    it('no suggestion when USING and WITH CHECK come from different files', async () => {
      const findings = (await checkSql({ '001.sql': on('CREATE POLICY p ON docs USING (user_id = auth.uid());'), '002.sql': 'ALTER POLICY p ON docs WITH CHECK (user_id = auth.uid());' }, ON)).filter((f) => f.ruleId === RULE);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ location: { file: '002.sql' } });
      expect(findings[0]!.suggestions).toBeUndefined();
    });
  });
});
