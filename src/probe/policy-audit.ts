/**
 * The catalog's policies, read back from `pg_policy` and judged by the same analyzer as `check`,
 * plus the settings and magic values they test (the probe then tries each one).
 */
import { evaluatePolicies, describeCheck, type PolicyFacts, type RowCommand } from '../analysis/policies.js';
import { stripValueWrappers, type IdentityModel } from '../analysis/identity.js';
import { parseExpression, type AstNode } from '../sql/parse.js';
import type { PolicyRow } from './catalog.js';

export interface PolicyFinding {
  command: RowCommand;
  /** `true` when the policies admit rows of other tenants for this command. */
  open: boolean;
  admitsNothing: boolean;
  /**
   * Open only because the analyzer could not follow something (a helper function the catalog it
   * was given does not define, a chain too deep): the audit did not decide, the probe's observed
   * steps do.
   */
  unresolved: boolean;
  message: string;
}

export interface PolicyAudit {
  applicable: PolicyRow[];
  unparsed: { policy: string; expression: string }[];
  findings: PolicyFinding[];
  /** Non-tenant settings the policies read, with the constants they compare them with. */
  bypassSettings: Map<string, Set<string>>;
  /** Constants the policies compare the tenant context with (`current_setting(...) = 'admin'`). */
  magicTenantValues: Set<string>;
}

/** What the analyzer says when it could not see, rather than saw an opening (src/analysis/identity.ts). */
const UNRESOLVED = ['could not follow', 'could not read', 'cannot read'];

export function auditPolicies(policies: readonly PolicyRow[], context: IdentityModel, tenantSettings: readonly string[], keyColumns: readonly string[]): PolicyAudit {
  const applicable = policies.filter((p) => p.applies);
  const unparsed: PolicyAudit['unparsed'] = [];
  const facts: PolicyFacts[] = [];
  const bypassSettings = new Map<string, Set<string>>();
  const magicTenantValues = new Set<string>();
  const settings = new Set(tenantSettings.map((s) => s.toLowerCase()));
  for (const policy of applicable) {
    const parse = (text: string | null): AstNode | null => {
      if (text === null) return null;
      const ast = parseExpression(text);
      if (!ast) unparsed.push({ policy: policy.name, expression: text });
      else collectSettingTests(ast, context, settings, bypassSettings, magicTenantValues);
      return ast;
    };
    facts.push({
      name: policy.name,
      command: policy.command,
      permissive: policy.permissive,
      roles: policy.roles,
      using: parse(policy.using),
      withCheck: parse(policy.withCheck),
    });
  }
  const findings = evaluatePolicies(facts, context, { table: null, keyColumns }).map((verdict): PolicyFinding => {
    const what = describeCheck(verdict);
    if (verdict.admitsNothing) return { command: verdict.command, open: false, admitsNothing: true, unresolved: false, message: `${what}: no permissive policy applies, so nothing is admitted` };
    if (verdict.pinned) return { command: verdict.command, open: false, admitsNothing: false, unresolved: false, message: `${what}: pinned to the tenant context` };
    const openers = verdict.openers.map((o) => `policy "${o.policy.name}" (${o.reason})`).join('; ');
    const unresolved = verdict.openers.every((o) => UNRESOLVED.some((marker) => o.reason.includes(marker)));
    const message = unresolved ? `${what}: not decided by the audit: ${openers}` : `${what} admits rows of other tenants: ${openers}`;
    return { command: verdict.command, open: true, admitsNothing: false, unresolved, message };
  });
  return { applicable, unparsed, findings, bypassSettings, magicTenantValues };
}

function settingName(node: AstNode | null | undefined): string | null {
  const fn = (stripValueWrappers(node) as AstNode | null | undefined)?.FuncCall as AstNode | undefined;
  if (!fn) return null;
  const names = ((fn.funcname ?? []) as AstNode[]).map((n) => String(n.String?.sval ?? '').toLowerCase());
  if (names[names.length - 1] !== 'current_setting') return null;
  const arg = stripValueWrappers(fn.args?.[0]) as AstNode | null | undefined;
  const value = arg?.A_Const?.sval?.sval;
  return typeof value === 'string' ? value.toLowerCase() : null;
}

function constantText(node: AstNode | null | undefined): string | null {
  const c = (stripValueWrappers(node) as AstNode | null | undefined)?.A_Const as AstNode | undefined;
  if (!c || c.isnull) return null;
  if (c.sval) return String(c.sval.sval ?? '');
  if (c.ival) return String(c.ival.ival ?? 0);
  if (c.boolval) return c.boolval.boolval ? 'true' : 'false';
  if (c.fval) return String(c.fval.fval);
  return null;
}

/** Walks the AST for `current_setting('x')` calls and the constants they are compared with. */
function collectSettingTests(node: unknown, context: IdentityModel, tenantSettings: Set<string>, bypass: Map<string, Set<string>>, magic: Set<string>, depth = 0): void {
  if (depth > 200 || node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const item of node) collectSettingTests(item, context, tenantSettings, bypass, magic, depth + 1);
    return;
  }
  const record = node as AstNode;
  const expr = record.A_Expr as AstNode | undefined;
  if (expr && (expr.kind === 'AEXPR_OP' || expr.kind === 'AEXPR_IN' || expr.kind === 'AEXPR_DISTINCT' || expr.kind === 'AEXPR_NOT_DISTINCT')) {
    const sides: [AstNode, AstNode][] = [
      [expr.lexpr, expr.rexpr],
      [expr.rexpr, expr.lexpr],
    ];
    for (const [a, b] of sides) {
      const constants = expr.kind === 'AEXPR_IN' ? ((b?.List?.items ?? []) as AstNode[]).map(constantText) : [constantText(b)];
      const name = settingName(a);
      if (name && !tenantSettings.has(name) && !context.isIdentitySetting(name)) {
        const set = bypass.get(name) ?? new Set<string>();
        for (const c of constants) if (c !== null) set.add(c);
        bypass.set(name, set);
      } else if (context.isIdentityValue(a)) {
        for (const c of constants) if (c !== null) magic.add(c);
      }
    }
  }
  const name = settingName(record);
  if (name && !tenantSettings.has(name) && !context.isIdentitySetting(name) && !bypass.has(name)) bypass.set(name, new Set());
  for (const value of Object.values(record)) collectSettingTests(value, context, tenantSettings, bypass, magic, depth + 1);
}
