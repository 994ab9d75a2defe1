/**
 * Every app rule's messages, as an editor shows them: the first sentence says what is wrong in
 * under 200 characters (a hover's first line), with the placeholders filled with long but
 * realistic values; the detail comes after it. Findings whose usual false positive a setting
 * silences name that setting.
 */
import { describe, expect, it } from 'vitest';
import { tsRules } from '../../rules/ts/index.js';
import { firstSentence } from './first-sentence.js';

/** Long but realistic values for every placeholder the messages use. */
const WORST_CASE: Record<string, string> = {
  client: 'this.deps.reportingDatabase.primaryPool', // clientText keeps up to 40 characters
  scopes: 'a scope function (`withTenant`, `withTenantTransaction`, `runAsTenant`, ...)',
  scoped: 'tenantTransaction',
  scope: 'tenantScope.withTenantTransaction',
  exemption: ' If `order_line_items`, `invoice_adjustments` are shared by all tenants, list them in `globalTables`.',
  setting: 'app.current_tenant_organization_id',
  settings: ' (statement_timeout, idle_in_transaction_session_timeout, lock_timeout)',
  pool: 'reportingPool',
  variable: 'PRIMARY_DATABASE_OWNER_URL',
  appVars: '`DATABASE_APP_URL` or `DATABASE_READONLY_APP_URL`',
  appVar: 'DATABASE_APP_URL',
  statement: 'SET SESSION AUTHORIZATION',
  command: 'NO FORCE ROW LEVEL SECURITY',
  table: 'billing.invoice_adjustments',
  role: 'tenant_application_user',
};

function fill(template: string): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, key: string) => {
    expect(WORST_CASE, `no worst case for {{${key}}}`).toHaveProperty(key);
    return WORST_CASE[key]!;
  });
}

describe.each(Object.entries(tsRules))('%s', (id, rule) => {
  const messages = Object.entries(rule.meta.messages as Record<string, string>);

  it.each(messages)('%s: a first sentence under 200 characters', (_, template) => {
    const text = fill(template);
    expect(firstSentence(text).length, text).toBeLessThan(200);
  });

  it('reports give their detail after the first sentence', () => {
    const suggestionIds = new Set<string>();
    // Suggestion messages are one short imperative; reports are the ones with a first sentence and more.
    for (const [messageId, template] of messages) if (/^(Run|Use|Set|Move|Read|Remove|Switch)\b/.test(template)) suggestionIds.add(messageId);
    for (const [messageId, template] of messages) {
      if (suggestionIds.has(messageId)) continue;
      const text = fill(template);
      expect(text.length, `${id}/${messageId}`).toBeGreaterThan(firstSentence(text).length);
    }
  });
});

describe('exemptions named in messages', () => {
  const message = (rule: keyof typeof tsRules, id: string): string => (tsRules[rule].meta.messages as Record<string, string>)[id]!;

  it('no-unscoped-query: the tables for globalTables, the client’s function for scopeFunctions', () => {
    expect(message('no-unscoped-query', 'unscoped')).toContain('{{exemption}}');
    expect(message('no-unscoped-query', 'globalClientInScope')).toContain('{{exemption}}');
  });

  it('tenant-context-transaction-local: a function opening the transaction belongs in scopeFunctions', () => {
    expect(message('tenant-context-transaction-local', 'outsideTransaction')).toContain('`scopeFunctions`');
  });

  it('no-owner-database-url: scripts that run as the owner belong outside appPaths', () => {
    expect(message('no-owner-database-url', 'ownerUrl')).toContain('`appPaths`');
  });

  it('no-rls-bypass-in-app: a restricted role SET ROLE may switch to belongs in appRoles', () => {
    expect(message('no-rls-bypass-in-app', 'setRole')).toContain('`appRoles`');
  });
});
