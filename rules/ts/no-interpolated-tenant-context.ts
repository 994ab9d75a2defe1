/**
 * no-interpolated-tenant-context: the tenant id reaches the database as a bind parameter of
 * `set_config`, never pasted into SQL text.
 *
 * Pasting (`${tenantId}` in a plain template, `'...' + tenantId`, `sql.raw(...)`,
 * `$executeRawUnsafe`) lets a crafted tenant id rewrite the statement — `x'; SET app.current_tenant = 'victim`.
 * And `SET app.current_tenant = $1` cannot be fixed by binding: `SET` takes no bind parameters,
 * so PostgreSQL rejects it with a syntax error (42601) on every request. `set_config` takes them.
 */
import { DatabaseCalls, DEFAULT_QUERY_SHAPES, sqlSiteListener } from '../../src/app/database-calls.js';
import { bindParametersInValue, interpolationsInValue, mayWriteSetting } from '../../src/app/embedded-sql.js';
import { projectConfigFor, stringListOption } from '../../src/app/rule-config.js';
import { setConfigFix, tenantSettingWrites } from '../../src/app/tenant-context-sql.js';
import { createRule } from '../../src/app/rule-creator.js';

export type Options = [{ tenantSettings?: string[] }];
export type MessageIds = 'interpolated' | 'bindParameterInSet' | 'useSetConfig';

export const noInterpolatedTenantContext = createRule<Options, MessageIds>({
  name: 'no-interpolated-tenant-context',
  meta: {
    type: 'problem',
    docs: {
      description: 'Require the tenant context to be set with a bind parameter of `set_config`, not pasted into SQL',
    },
    hasSuggestions: true,
    messages: {
      interpolated:
        "The value of `{{setting}}` is pasted into the SQL text: a crafted tenant id can rewrite the statement and set another tenant's context. Pass it as a bind parameter: `SELECT set_config('{{setting}}', $1, true)`.",
      bindParameterInSet:
        "`SET` takes no bind parameters: PostgreSQL rejects `SET {{setting}} = $n` with a syntax error (42601) on every request. Use `SELECT set_config('{{setting}}', $1, true)`.",
      useSetConfig: "Use `SELECT set_config('{{setting}}', $1, true)` with the value as a bind parameter.",
    },
    schema: [
      {
        type: 'object',
        additionalProperties: false,
        properties: {
          tenantSettings: stringListOption('Settings that carry the tenant (default: `tenantSettings` from rls-guard.config.json).'),
        },
      },
    ],
    defaultOptions: [{}],
  },
  create(context, [options]) {
    const config = projectConfigFor(context);
    const tenantSettings = options.tenantSettings ?? config.tenantSettings;
    const calls = DatabaseCalls.shared(context, DEFAULT_QUERY_SHAPES, config.scopeFunctions);

    return sqlSiteListener(calls, (site) => {
      for (const write of tenantSettingWrites(site, tenantSettings)) {
        const pasted = interpolationsInValue(site.sql, write.value).filter((i) => i.kind === 'raw');
        const messageId = pasted.length > 0 ? 'interpolated' : write.via === 'SET' && bindParametersInValue(write.value).length > 0 ? 'bindParameterInSet' : null;
        if (!messageId) continue;
        const fix = setConfigFix(site.sql, write, site.call, context.sourceCode);
        context.report({
          node: site.sql.node,
          messageId,
          data: { setting: write.setting },
          suggest: fix ? [{ messageId: 'useSetConfig', data: { setting: write.setting }, fix }] : [],
        });
      }
    }, mayWriteSetting);
  },
});

export default noInterpolatedTenantContext;
