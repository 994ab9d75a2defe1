import { bodyOf, isTriggerFunction, tenantTablesAtLarge } from '../../src/analysis/definer.js';
import type { SqlRule } from '../../src/rule.js';

/**
 * A SECURITY DEFINER function is the intentional cross-tenant hole: it runs as its owner, past
 * RLS. It must stay narrow: callable only by named roles (functions are executable by PUBLIC by
 * default), no SQL built from its input, and reads keyed by an argument instead of whole tables.
 */
const rule: SqlRule = {
  id: 'security-definer-narrow',
  severity: 1,
  description: 'SECURITY DEFINER functions are narrow: EXECUTE revoked from PUBLIC, no dynamic SQL from input, keyed reads only.',
  check({ catalog, tenancy }) {
    return [...catalog.functions.values()].flatMap((fn) => {
      if (!fn.securityDefiner || fn.platform) return [];
      const problems: string[] = [];
      // A trigger function cannot be called (PostgreSQL refuses to: 0A000), so EXECUTE on it grants nothing.
      if (fn.executeGrantees.has('public') && !isTriggerFunction(fn)) problems.push('EXECUTE is not revoked from PUBLIC, so every role can call it (REVOKE EXECUTE ... FROM PUBLIC, then GRANT it to the app role)');
      const dynamic = bodyOf(fn).dynamic.filter((d) => d.builtFromInput);
      if (dynamic.length > 0) problems.push(`it builds dynamic SQL from input (EXECUTE ${dynamic[0]!.query.trim()}); use EXECUTE ... USING or format('%I', '%L')`);
      const atLarge = tenantTablesAtLarge(fn, tenancy);
      if (atLarge.length > 0) problems.push(`it returns or changes rows of tenant table ${atLarge.join(', ')} at large instead of one row keyed by an argument`);
      if (problems.length === 0) return [];
      const signature = `${fn.schema}.${fn.name}(${fn.argTypes.join(', ')})`;
      const object = `${fn.schema}.${fn.name}(${fn.argTypes.join(',')})`;
      if (dynamic.length > 0) {
        // SQL injection with the owner's rights: an error, not doctrine (SPEC section 4).
        const callers = fn.executeGrantees.has('public') ? 'any role' : [...fn.executeGrantees].join(', ') || 'its owner';
        return [{ message: `SECURITY DEFINER ${fn.kind} ${signature} runs SQL built from its input with its owner's rights, past RLS: ${callers} can inject SQL that reads or changes every tenant's rows. Problems: ${problems.join('; ')}.`, location: fn.createdAt, object, severity: 2 as const }];
      }
      return [{ message: `SECURITY DEFINER ${fn.kind} ${signature} bypasses RLS and is not narrow: ${problems.join('; ')}.`, location: fn.createdAt, object }];
    });
  },
};
export default rule;
