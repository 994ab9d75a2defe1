/**
 * Differential test of policy semantics: for each policy shape, PostgreSQL decides whether the
 * table leaks (app role or owner, in any session state, through any command form), and check must
 * agree: an error finding on the table exactly when it leaks.
 *
 * Session states (issue "Exact policy semantics"): the own tenant set; that plus a custom setting
 * someone can SET; the tenant set to a literal a policy compares with; empty (''); never set.
 * Commands: SELECT; INSERT; UPDATE and DELETE with and without WHERE; moving an own row to
 * another tenant; pulling every row into the own tenant.
 */
import { describe, expect, it } from 'vitest';
import { CTX, CTX_OK, PIN, judge, type Case } from './policy-harness.js';

const CASES: Case[] = [
  { name: 'pinned USING and WITH CHECK', policies: `CREATE POLICY p ON t TO app_user USING (${PIN}) WITH CHECK (${PIN});` },
  { name: 'pinned, missing_ok', policies: `CREATE POLICY p ON t TO app_user USING (tenant_id = ${CTX_OK}::uuid);` },
  { name: 'pinned through NULLIF for the empty state', policies: `CREATE POLICY p ON t TO app_user USING (tenant_id = nullif(${CTX_OK}, '')::uuid);` },
  { name: 'USING (true)', policies: 'CREATE POLICY p ON t TO app_user USING (true);' },
  { name: 'open WITH CHECK under pinned USING', policies: `CREATE POLICY p ON t TO app_user USING (${PIN}) WITH CHECK (true);` },
  { name: 'OR-ed bypass setting', policies: `CREATE POLICY p ON t TO app_user USING (${PIN} OR current_setting('app.bypass', true) = 'on');`, bypass: { 'app.bypass': ['on'] } },
  { name: 'IS NULL fallback for an unset tenant', policies: `CREATE POLICY p ON t TO app_user USING (${CTX_OK} IS NULL OR tenant_id = ${CTX_OK}::uuid);` },
  { name: "empty-string fallback", policies: `CREATE POLICY p ON t TO app_user USING (${CTX_OK} = '' OR tenant_id = nullif(${CTX_OK}, '')::uuid);` },
  { name: "magic literal 'all' on the setting", policies: `CREATE POLICY p ON t TO app_user USING (${CTX_OK} = 'all' OR tenant_id = nullif(${CTX_OK}, '')::uuid);` },
  // tenant_id is uuid: as text it is never 'all', so the branch admits nothing in every state.
  { name: "magic literal compared with the uuid column as text (never true)", policies: `CREATE POLICY p ON t TO app_user USING (tenant_id::text = ${CTX_OK} OR tenant_id::text = 'all');` },
  { name: 'text comparison of the column with the setting', policies: `CREATE POLICY p ON t TO app_user USING (tenant_id::text = ${CTX_OK});` },
  { name: 'a row flag for reads only', policies: `CREATE POLICY r ON t FOR SELECT TO app_user USING (is_public OR ${PIN});\nCREATE POLICY w ON t FOR INSERT TO app_user WITH CHECK (${PIN});` },
  { name: 'per-command policies, UPDATE check open', policies: `CREATE POLICY s ON t FOR SELECT TO app_user USING (${PIN});\nCREATE POLICY u ON t FOR UPDATE TO app_user USING (${PIN}) WITH CHECK (true);` },
  // An open UPDATE check is harmless when no state lets USING reach a row at all.
  { name: 'UPDATE check open but USING admits nothing', policies: `CREATE POLICY s ON t FOR SELECT TO app_user USING (${PIN});\nCREATE POLICY u ON t FOR UPDATE TO app_user USING (false) WITH CHECK (true);` },
  { name: 'DELETE open, SELECT pinned', policies: `CREATE POLICY s ON t FOR SELECT TO app_user USING (${PIN});\nCREATE POLICY d ON t FOR DELETE TO app_user USING (true);` },
  { name: 'restrictive pin over a permissive true', policies: `CREATE POLICY open ON t TO app_user USING (true);\nCREATE POLICY pin ON t AS RESTRICTIVE TO app_user USING (${PIN}) WITH CHECK (${PIN});` },
  { name: 'restrictive pin for SELECT only over a permissive true', policies: `CREATE POLICY open ON t TO app_user USING (true);\nCREATE POLICY pin ON t AS RESTRICTIVE FOR SELECT TO app_user USING (${PIN});` },
  { name: 'no policy for the app (deny all)', policies: `CREATE POLICY p ON t TO mig_owner USING (${PIN});` },
  // The owner: with FORCE, policies TO PUBLIC apply to it as well.
  { name: 'TO PUBLIC pinned, FORCE', policies: `CREATE POLICY p ON t USING (${PIN}) WITH CHECK (${PIN});` },
  { name: 'open policy for the owner only, FORCE', policies: `CREATE POLICY app ON t TO app_user USING (${PIN}) WITH CHECK (${PIN});\nCREATE POLICY own ON t TO mig_owner USING (true);` },
  { name: "the setting compared with a literal tenant ('servicetenant')", policies: `CREATE POLICY p ON t TO app_user USING (tenant_id::text = ${CTX_OK} OR ${CTX_OK} = 'servicetenant');` },
  { name: 'COALESCE(..., true) for an unset tenant', policies: `CREATE POLICY p ON t TO app_user USING (coalesce(tenant_id = nullif(${CTX_OK}, '')::uuid, true));` },
  { name: 'UPDATE USING open, check pinned, SELECT pinned', policies: `CREATE POLICY s ON t FOR SELECT TO app_user USING (${PIN});\nCREATE POLICY u ON t FOR UPDATE TO app_user USING (true) WITH CHECK (${PIN});` },
  { name: 'restrictive pin TO PUBLIC covers the owner', policies: `CREATE POLICY app ON t TO app_user USING (${PIN}) WITH CHECK (${PIN});\nCREATE POLICY own ON t TO mig_owner USING (true);\nCREATE POLICY pin ON t AS RESTRICTIVE USING (${PIN}) WITH CHECK (${PIN});` },
  { name: 'no FORCE: the owner bypasses', policies: `CREATE POLICY p ON t TO app_user USING (${PIN}) WITH CHECK (${PIN});`, noForce: true },
  // Session states in which PostgreSQL raises before a branch could open the table (issue item 1).
  { name: 'IS NULL of a setting read without missing_ok (raises when unset)', policies: `CREATE POLICY p ON t TO app_user USING (${CTX} IS NULL OR ${PIN});` },
  { name: "a magic literal after a pin whose cast raises on it ('all'::uuid)", policies: `CREATE POLICY p ON t TO app_user USING (${PIN} OR ${CTX} = 'all');` },
  { name: 'a magic literal before the pin (reached first)', policies: `CREATE POLICY p ON t TO app_user USING (${CTX} = 'all' OR ${PIN});` },
  { name: "an empty-setting branch after a pin whose cast raises on ''", policies: `CREATE POLICY p ON t TO app_user USING (${PIN} OR ${CTX} = '');` },
  { name: "an empty-setting branch after a text comparison (no raise)", policies: `CREATE POLICY p ON t TO app_user USING (tenant_id::text = ${CTX} OR ${CTX} = '');` },
  { name: 'the setting cast to uuid IS NULL, without missing_ok', policies: `CREATE POLICY p ON t TO app_user USING (${CTX}::uuid IS NULL OR ${PIN});` },
  { name: 'the setting cast to uuid IS NULL, with missing_ok (NULL when unset)', policies: `CREATE POLICY p ON t TO app_user USING (${CTX_OK}::uuid IS NULL OR ${PIN});` },
  { name: "NULLIF(setting, '') IS NULL (NULL when empty)", policies: `CREATE POLICY p ON t TO app_user USING (nullif(${CTX}, '') IS NULL OR ${PIN});` },
  { name: 'COALESCE falling back to the row\'s own key', policies: `CREATE POLICY p ON t TO app_user USING (tenant_id = coalesce(nullif(${CTX_OK}, '')::uuid, tenant_id));` },
  { name: "CASE that answers false for the empty setting", policies: `CREATE POLICY p ON t TO app_user USING (CASE WHEN ${CTX} = '' THEN false ELSE ${PIN} END);` },
  { name: 'a nil-uuid service tenant compared after the cast', policies: `CREATE POLICY p ON t TO app_user USING (${PIN} OR ${CTX_OK}::uuid = '00000000-0000-0000-0000-000000000000');`, literals: ['00000000-0000-0000-0000-000000000000'] },
  { name: 'a bypass setting read without missing_ok', policies: `CREATE POLICY p ON t TO app_user USING (${PIN} OR current_setting('app.bypass') = 'on');`, bypass: { 'app.bypass': ['on'] } },
  { name: 'a bypass setting cast to boolean first', policies: `CREATE POLICY p ON t TO app_user USING (current_setting('app.bypass')::boolean OR ${PIN});`, bypass: { 'app.bypass': ['on'] } },
  { name: "a conjunction that raises before the magic literal", policies: `CREATE POLICY p ON t TO app_user USING ((${CTX} <> '' AND ${PIN}) OR ${CTX} = 'all');` },
  { name: 'a negated inequality', policies: `CREATE POLICY p ON t TO app_user USING (NOT (tenant_id <> ${CTX}::uuid));` },
  { name: 'IS NOT DISTINCT FROM the setting with missing_ok', policies: `CREATE POLICY p ON t TO app_user USING (tenant_id IS NOT DISTINCT FROM ${CTX_OK}::uuid);` },
  // Integer and text tenant keys: 'all'::int raises like 'all'::uuid; text never raises.
  { name: "int tenant: a magic literal after a pin whose cast raises ('all'::int)", tenantType: 'int', policies: `CREATE POLICY p ON t TO app_user USING (tenant_id = ${CTX}::int OR ${CTX} = 'all');` },
  { name: 'int tenant: 0 as a service tenant', tenantType: 'int', policies: `CREATE POLICY p ON t TO app_user USING (tenant_id = ${CTX}::int OR ${CTX}::int = 0);`, literals: ['0'] },
  { name: "text tenant: a magic literal after the pin (nothing raises)", tenantType: 'text', policies: `CREATE POLICY p ON t TO app_user USING (tenant_id = ${CTX} OR ${CTX} = 'all');` },
  { name: "text tenant: an empty-setting CASE", tenantType: 'text', policies: `CREATE POLICY p ON t TO app_user USING (CASE WHEN ${CTX} = '' THEN false ELSE tenant_id = ${CTX} END);` },
  // USING and the UPDATE check judged in the same state (issue "Exact policy semantics", item 2).
  { name: 'UPDATE USING open only when the tenant is empty, where the check accepts nothing', policies: `CREATE POLICY s ON t FOR SELECT TO app_user USING (${PIN});\nCREATE POLICY u ON t FOR UPDATE TO app_user USING (coalesce(${CTX_OK}, '') = '') WITH CHECK (tenant_id = nullif(${CTX_OK}, '')::uuid);` },
  { name: 'UPDATE check open only with a bypass setting, under which USING reaches nothing', policies: `CREATE POLICY s ON t FOR SELECT TO app_user USING (${PIN});\nCREATE POLICY u ON t FOR UPDATE TO app_user USING (${PIN} AND current_setting('app.bypass', true) IS NULL) WITH CHECK (current_setting('app.bypass', true) = 'on');`, bypass: { 'app.bypass': ['on'] } },
  // Other settings on a pooled connection hold '' once any transaction set them locally.
  { name: "a negated bypass test: '' on a pooled connection is not 'on'", policies: `CREATE POLICY p ON t TO app_user USING (${CTX_OK} = 'all' AND NOT (current_setting('app.bypass', true) = 'on'));`, bypass: { 'app.bypass': ['on'] } },
  { name: "a bypass setting negated as a boolean: 'off' opens it", policies: `CREATE POLICY p ON t TO app_user USING (${PIN} OR NOT current_setting('app.bypass', true)::boolean);`, bypass: { 'app.bypass': ['on', 'off'] } },
  // A row flag on a new row: the INSERT may set it.
  { name: 'INSERT check admits flagged rows in a literal state', policies: `CREATE POLICY s ON t FOR SELECT TO app_user USING (${PIN});\nCREATE POLICY i ON t FOR INSERT TO app_user WITH CHECK (CASE WHEN is_public THEN ${CTX_OK} = 'all' ELSE ${PIN} END);` },
];

describe('policy semantics: check agrees with PostgreSQL', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { observed, errors } = await judge(c);
    // Exactly one of: it leaks and check has an error, or it is safe and check has none.
    const detail = `observed on PostgreSQL: ${observed.length ? observed.slice(0, 4).join('; ') : 'no leak'} | check errors: ${errors.join(', ') || 'none'}`;
    expect(errors.length > 0, detail).toBe(observed.length > 0);
  });
});
