/** Replaying CREATE POLICY and ALTER POLICY (DROP POLICY is in replay-tables' drop). */
import type { AstNode } from '../sql/parse.js';
import { roleName } from './ast-names.js';
import { qualifiedKey, type PolicyCommand } from './catalog.js';
import type { Replayer } from './replay.js';

export function createPolicy(r: Replayer, node: AstNode): void {
  const table = r.tableFor(node.table as AstNode, true)!;
  const key = qualifiedKey(table.schema, table.name);
  let policies = r.catalog.policies.get(key);
  if (!policies) r.catalog.policies.set(key, (policies = new Map()));
  const name = String(node.policy_name);
  if (policies.has(name)) return; // PostgreSQL rejects a duplicate policy name.
  const command = String(node.cmd_name ?? 'all').toLowerCase();
  const invalid =
    command === 'insert' && node.qual
      ? 'only WITH CHECK expression allowed for INSERT'
      : (command === 'select' || command === 'delete') && node.with_check
        ? 'WITH CHECK cannot be applied to SELECT or DELETE'
        : null;
  if (invalid) {
    r.catalog.rejected.push({
      ruleId: 'parse-error',
      location: r.here(),
      message: `PostgreSQL rejects this CREATE POLICY (42601: ${invalid}): the migration fails and the policy does not exist. ${command === 'insert' ? 'An INSERT policy takes only WITH CHECK.' : 'SELECT and DELETE policies take only USING.'}`,
    });
    return;
  }
  const roles = ((node.roles ?? []) as AstNode[]).map((r) => roleName(r));
  policies.set(name, {
    name,
    table: key,
    command: (String(node.cmd_name ?? 'all').toLowerCase() as PolicyCommand) ?? 'all',
    // The parser's JSON omits false booleans: AS RESTRICTIVE has no `permissive` field.
    permissive: node.permissive === true,
    roles: roles.length > 0 ? roles : ['public'],
    using: (node.qual as AstNode | undefined) ?? null,
    withCheck: (node.with_check as AstNode | undefined) ?? null,
    usingFrom: node.qual ? r.expressionOrigin() : null,
    withCheckFrom: node.with_check ? r.expressionOrigin() : null,
    createdAt: r.here(),
    changedAt: r.here(),
  });
}

export function alterPolicy(r: Replayer, node: AstNode): void {
  const table = r.tableFor(node.table as AstNode, false);
  if (!table) return;
  const policy = r.catalog.policies.get(qualifiedKey(table.schema, table.name))?.get(String(node.policy_name));
  if (!policy) return;
  if (node.roles) policy.roles = (node.roles as AstNode[]).map((r) => roleName(r));
  if (node.qual) {
    policy.using = node.qual as AstNode;
    policy.usingFrom = r.expressionOrigin();
  }
  if (node.with_check) {
    policy.withCheck = node.with_check as AstNode;
    policy.withCheckFrom = r.expressionOrigin();
  }
  policy.changedAt = r.here();
}
