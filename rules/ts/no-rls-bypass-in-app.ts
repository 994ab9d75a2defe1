/**
 * no-rls-bypass-in-app: application SQL never turns tenant isolation off.
 *
 * `SET ROLE` / `SET SESSION AUTHORIZATION` switch to a role that may own the tables or have
 * BYPASSRLS; `SET row_security = off` is a request to skip policies; a bypass setting
 * (`app.bypass_rls = 'on'`) opens whatever escape hatch a policy has; and
 * `ALTER TABLE ... DISABLE / NO FORCE ROW LEVEL SECURITY` removes the backstop for every tenant.
 * Setting the role to one of the configured app roles is the one exception: it restricts.
 */
import { DatabaseCalls, DEFAULT_QUERY_SHAPES, sqlSiteListener } from '../../src/app/database-calls.js';
import { constantBoolean, constantString, mayChangeRowSecurity, mayWriteSetting, settingWrites, walkSql } from '../../src/app/embedded-sql.js';
import { projectConfigFor, stringListOption } from '../../src/app/rule-config.js';
import { createRule } from '../../src/app/rule-creator.js';

export type Options = [{ appRoles?: string[]; bypassSettings?: string[] }];
export type MessageIds = 'setRole' | 'rowSecurityOff' | 'bypassSetting' | 'disableRls';

export const noRlsBypassInApp = createRule<Options, MessageIds>({
  name: 'no-rls-bypass-in-app',
  meta: {
    type: 'problem',
    docs: {
      description: 'Disallow application SQL that switches role, turns row security off or disables Row-Level Security',
    },
    messages: {
      setRole:
        '`{{statement}}` switches this connection to another role: an owner, superuser or BYPASSRLS role reads every tenant\'s rows, and the pool hands the connection on. Connect as the app role instead.',
      rowSecurityOff: '`row_security = off` asks PostgreSQL to skip Row-Level Security for this connection. Application code runs with policies applied.',
      bypassSetting: '`{{setting}}` is a bypass switch: any policy that honors it stops filtering by tenant. Application code never sets it.',
      disableRls:
        '`{{command}}` on `{{table}}` from application code removes the Row-Level Security backstop for every tenant. Schema changes belong in migrations, and this one not at all.',
    },
    schema: [
      {
        type: 'object',
        additionalProperties: false,
        properties: {
          appRoles: stringListOption('Restricted app roles that `SET ROLE` may switch to (default: `appRoles` from rls-guard.config.json).'),
          bypassSettings: stringListOption('Further settings that switch tenant filtering off in your policies; settings whose name contains `bypass` are always reported.'),
        },
      },
    ],
    defaultOptions: [{}],
  },
  create(context, [options]) {
    const config = projectConfigFor(context);
    const appRoles = new Set((options.appRoles ?? config.appRoles).map((r) => r.toLowerCase()));
    const bypassSettings = new Set((options.bypassSettings ?? []).map((s) => s.toLowerCase()));
    const calls = DatabaseCalls.shared(context, DEFAULT_QUERY_SHAPES, config.scopeFunctions);

    return sqlSiteListener(calls, (site) => {
      const node = site.sql.node;
      for (const write of settingWrites(site.sql.statements)) {
        if (write.setting === 'role' || write.setting === 'session_authorization') {
          const role = constantString(write.value);
          if (role !== null && appRoles.has(role.toLowerCase())) continue;
          const statement = write.setting === 'role' ? 'SET ROLE' : 'SET SESSION AUTHORIZATION';
          context.report({ node, messageId: 'setRole', data: { statement: write.via === 'SET' ? statement : `set_config('${write.setting}', ...)` } });
        } else if (write.setting === 'row_security') {
          if (constantBoolean(write.value) === false) context.report({ node, messageId: 'rowSecurityOff' });
        } else if (write.setting.includes('bypass') || bypassSettings.has(write.setting)) {
          // Switching the bypass off is fine; on, or to a value decided at run time, is not.
          if (constantBoolean(write.value) !== false) context.report({ node, messageId: 'bypassSetting', data: { setting: write.setting } });
        }
      }
      walkSql(site.sql.statements, (kind, fields) => {
        if (kind !== 'AlterTableStmt') return;
        const relation = fields.relation as { schemaname?: string; relname?: string } | undefined;
        const table = relation?.schemaname ? `${relation.schemaname}.${relation.relname}` : (relation?.relname ?? '?');
        walkSql(fields.cmds, (cmdKind, cmd) => {
          if (cmdKind !== 'AlterTableCmd') return;
          if (cmd.subtype === 'AT_DisableRowSecurity') context.report({ node, messageId: 'disableRls', data: { command: 'DISABLE ROW LEVEL SECURITY', table } });
          if (cmd.subtype === 'AT_NoForceRowSecurity') context.report({ node, messageId: 'disableRls', data: { command: 'NO FORCE ROW LEVEL SECURITY', table } });
        });
      });
    }, mayReport);
  },
});

/** The pre-filter: text with no setting write and no ALTER TABLE ... ROW LEVEL SECURITY is not parsed. */
function mayReport(text: string): boolean {
  return mayWriteSetting(text) || mayChangeRowSecurity(text);
}

export default noRlsBypassInApp;
