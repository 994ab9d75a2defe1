/**
 * no-rls-bypass-in-app: application SQL never turns tenant isolation off.
 *
 * `SET ROLE` / `SET SESSION AUTHORIZATION` switch to a role that may own the tables or have
 * BYPASSRLS; `SET row_security = off` is a request to skip policies; a bypass setting
 * (`app.bypass_rls = 'on'`) opens whatever escape hatch a policy has; and
 * `ALTER TABLE ... DISABLE / NO FORCE ROW LEVEL SECURITY` removes the backstop for every tenant.
 * Setting the role to one of the configured app roles is the one exception: it restricts.
 */
import { AST_NODE_TYPES, type TSESLint, type TSESTree } from '@typescript-eslint/utils';
import { DatabaseCalls, DEFAULT_QUERY_SHAPES, sqlSiteListener, stripWrappers, type ParsedSqlSite } from '../../src/app/database-calls.js';
import { constantBoolean, constantString, mayChangeRowSecurity, mayWriteSetting, walkSql, type SettingWrite } from '../../src/app/embedded-sql.js';
import { resolvedSettingWrites } from '../../src/app/tenant-context-sql.js';
import { projectConfigFor, stringListOption } from '../../src/app/rule-config.js';
import { createRule } from '../../src/app/rule-creator.js';
import type { AstNode } from '../../src/sql/parse.js';

export type Options = [{ appRoles?: string[]; bypassSettings?: string[] }];
export type MessageIds = 'setRole' | 'rowSecurityOff' | 'bypassSetting' | 'disableRls' | 'removeCall' | 'useAppRole';

export const noRlsBypassInApp = createRule<Options, MessageIds>({
  name: 'no-rls-bypass-in-app',
  meta: {
    type: 'problem',
    docs: {
      description: 'Disallow application SQL that switches role, turns row security off or disables Row-Level Security',
    },
    hasSuggestions: true,
    messages: {
      setRole:
        "`{{statement}}` switches this connection to another role, which may read every tenant's rows. An owner, superuser or BYPASSRLS role bypasses Row-Level Security, and the pool hands the connection on. Connect as the app role instead; a restricted role it may switch to belongs in `appRoles`.",
      rowSecurityOff: '`row_security = off` asks PostgreSQL to skip Row-Level Security for this connection. Application code runs with policies applied.',
      bypassSetting: '`{{setting}}` is a bypass switch: any policy that honors it stops filtering by tenant. Application code never sets it.',
      disableRls:
        '`{{command}}` on `{{table}}` from application code removes the Row-Level Security backstop for every tenant. Schema changes belong in migrations, and this one not at all.',
      removeCall: 'Remove this call: the connection keeps its own role, with policies applied.',
      useAppRole: 'Switch to the app role `{{role}}` instead.',
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
      /** Removing the call is safe when it runs nothing but bypasses: the statement is its own. */
      const findings: { messageId: MessageIds; data: Record<string, string>; write?: SettingWrite }[] = [];
      for (const write of resolvedSettingWrites(site)) {
        if (write.setting === 'role' || write.setting === 'session_authorization') {
          const role = write.valueConstant !== undefined ? String(write.valueConstant) : constantString(write.value);
          if (role !== null && appRoles.has(role.toLowerCase())) continue;
          const statement = write.setting === 'role' ? 'SET ROLE' : 'SET SESSION AUTHORIZATION';
          findings.push({ messageId: 'setRole', data: { statement: write.via === 'SET' ? statement : `set_config('${write.setting}', ...)` }, write });
        } else if (write.setting === 'row_security') {
          if (booleanValue(write) === false) findings.push({ messageId: 'rowSecurityOff', data: {}, write });
        } else if (write.setting.includes('bypass') || bypassSettings.has(write.setting)) {
          // Switching the bypass off is fine; on, or to a value decided at run time, is not.
          if (booleanValue(write) !== false) findings.push({ messageId: 'bypassSetting', data: { setting: write.setting }, write });
        }
      }
      walkSql(site.sql.statements, (kind, fields) => {
        if (kind !== 'AlterTableStmt') return;
        const relation = fields.relation as { schemaname?: string; relname?: string } | undefined;
        const table = relation?.schemaname ? `${relation.schemaname}.${relation.relname}` : (relation?.relname ?? '?');
        walkSql(fields.cmds, (cmdKind, cmd) => {
          if (cmdKind !== 'AlterTableCmd') return;
          if (cmd.subtype === 'AT_DisableRowSecurity') findings.push({ messageId: 'disableRls', data: { command: 'DISABLE ROW LEVEL SECURITY', table } });
          if (cmd.subtype === 'AT_NoForceRowSecurity') findings.push({ messageId: 'disableRls', data: { command: 'NO FORCE ROW LEVEL SECURITY', table } });
        });
      });
      // A call whose SQL is one statement, and that statement a bypass: removing it is safe.
      const removable = findings.length > 0 && site.sql.statements.length === 1 && onlySwitchesOff(site.sql.statements[0]!) ? removableStatement(site) : null;
      for (const finding of findings) {
        const suggest: TSESLint.SuggestionReportDescriptor<MessageIds>[] = [];
        if (finding.messageId === 'setRole' && finding.write) {
          for (const role of [...appRoles].slice(0, 3)) {
            const fix = appRoleFix(site, finding.write, role);
            if (fix) suggest.push({ messageId: 'useAppRole', data: { role }, fix });
          }
        }
        if (removable) suggest.push({ messageId: 'removeCall', fix: (fixer) => removeStatement(fixer, context.sourceCode, removable) });
        context.report({ node, messageId: finding.messageId, data: finding.data, suggest });
      }
    }, mayReport);
  },
});

/** The boolean a write sets: a constant in the SQL, or a bind parameter the call gives as one. */
function booleanValue(write: SettingWrite): boolean | null {
  if (write.valueConstant === undefined) return constantBoolean(write.value);
  if (typeof write.valueConstant === 'boolean') return write.valueConstant;
  const t = String(write.valueConstant).trim().toLowerCase();
  if (['on', 'true', 'yes', '1', 't', 'y'].includes(t)) return true;
  if (['off', 'false', 'no', '0', 'f', 'n'].includes(t)) return false;
  return null;
}

/**
 * A statement that does nothing but what this rule reports, so removing it loses nothing else:
 * a `SET`, a `SELECT set_config(...)` with no FROM, or an `ALTER TABLE` that only disables RLS.
 */
function onlySwitchesOff(statement: AstNode): boolean {
  const [kind, fields] = Object.entries(statement)[0] as [string, AstNode];
  if (kind === 'VariableSetStmt') return true;
  if (kind === 'AlterTableStmt') {
    return ((fields.cmds as AstNode[] | undefined) ?? []).every((c) => ['AT_DisableRowSecurity', 'AT_NoForceRowSecurity'].includes((c.AlterTableCmd as AstNode | undefined)?.subtype as string));
  }
  const targets = (fields.targetList as AstNode[] | undefined) ?? [];
  if (kind !== 'SelectStmt' || fields.fromClause || fields.whereClause || targets.length !== 1) return false;
  return targets.every((target) => {
    const call = ((target.ResTarget as AstNode | undefined)?.val as AstNode | undefined)?.FuncCall as AstNode | undefined;
    const names = ((call?.funcname as AstNode[] | undefined) ?? []).map((n) => (n.String as AstNode | undefined)?.sval);
    return names[names.length - 1] === 'set_config';
  });
}

/** The statement `await client.query('SET ROLE ...');` that only runs this call, or null. */
function removableStatement(site: ParsedSqlSite): TSESTree.ExpressionStatement | null {
  let n: TSESTree.Node = site.call;
  while (n.parent && (n.parent.type === AST_NODE_TYPES.AwaitExpression || n.parent.type === AST_NODE_TYPES.ChainExpression) ) n = n.parent;
  const statement = n.parent;
  return statement?.type === AST_NODE_TYPES.ExpressionStatement && stripWrappers(statement.expression) === stripWrappers(site.call) ? statement : null;
}

/** Removes a statement, with its line when it has the line to itself. */
function removeStatement(fixer: TSESLint.RuleFixer, sourceCode: Readonly<TSESLint.SourceCode>, statement: TSESTree.Node): TSESLint.RuleFix {
  const text = sourceCode.text;
  const lineStart = text.lastIndexOf('\n', statement.range[0] - 1) + 1;
  let end = statement.range[1];
  while (text[end] === ' ' || text[end] === '\t') end++;
  const ownLine = text.slice(lineStart, statement.range[0]).trim() === '' && (end === text.length || text[end] === '\n' || text[end] === '\r');
  if (!ownLine) return fixer.remove(statement);
  if (text[end] === '\r') end++;
  return fixer.removeRange([lineStart, Math.min(end + 1, text.length)]);
}

/**
 * `SET [LOCAL] ROLE <role>` written out as the call's whole SQL (a string, or a template with
 * nothing interpolated) → the same statement with a configured app role.
 */
function appRoleFix(site: ParsedSqlSite, write: SettingWrite, role: string): ((fixer: TSESLint.RuleFixer) => TSESLint.RuleFix) | null {
  if (write.via !== 'SET' || write.setting !== 'role' || site.sql.statements.length !== 1 || site.sql.interpolations.length > 0) return null;
  const statement = `SET ${write.local ? 'LOCAL ' : ''}ROLE ${quoteIdentifier(role)}`;
  const node = site.sql.node;
  if (node.type === AST_NODE_TYPES.Literal && typeof node.value === 'string') return (fixer) => fixer.replaceText(node, JSON.stringify(statement));
  if (node.type === AST_NODE_TYPES.TaggedTemplateExpression) return (fixer) => fixer.replaceText(node.quasi, `\`${statement}\``);
  if (node.type === AST_NODE_TYPES.TemplateLiteral) return (fixer) => fixer.replaceText(node, `\`${statement}\``);
  return null;
}

/** A role name as SQL: bare when PostgreSQL would fold it to itself, else double-quoted. */
function quoteIdentifier(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

/** The pre-filter: text with no setting write and no ALTER TABLE ... ROW LEVEL SECURITY is not parsed. */
function mayReport(text: string): boolean {
  return mayWriteSetting(text) || mayChangeRowSecurity(text);
}

export default noRlsBypassInApp;
