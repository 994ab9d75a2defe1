import { bodyOf } from '../../src/analysis/definer.js';
import type { SqlRule, SqlRuleReport } from '../../src/rule.js';

/** Languages whose bodies rls-guard reads: a body in one of them it cannot parse was not checked. */
const READ_LANGUAGES = new Set(['sql', 'plpgsql']);

/** Dynamic SQL is invisible to static analysis: say so instead of passing it silently. */
const rule: SqlRule = {
  id: 'unverifiable-ddl',
  severity: 1,
  description: 'DDL run through dynamic SQL is reported as not evaluated.',
  check({ catalog }) {
    const reports: SqlRuleReport[] = catalog.unverifiable.map((u) => ({
      message: `Not evaluated: ${u.what}; it can change tables, policies or roles in ways static analysis cannot see. Run \`rls-guard verify\` to check the applied result against PostgreSQL.`,
      object: u.what,
      location: u.location,
    }));
    // A SECURITY DEFINER body rls-guard's parser cannot read: its names, reads and dynamic SQL were
    // not checked (security-definer-search-path and -narrow say nothing they could not see).
    for (const fn of catalog.functions.values()) {
      if (!fn.securityDefiner || fn.platform || fn.sqlBody || fn.body === null || !READ_LANGUAGES.has(fn.language)) continue;
      if (bodyOf(fn).analyzable) continue;
      const name = `${fn.schema}.${fn.name}(${fn.argTypes.join(', ')})`;
      reports.push({
        message: `Not evaluated: the body of SECURITY DEFINER ${fn.kind} ${name} could not be parsed by rls-guard, so its unqualified names, its reads and its dynamic SQL were not checked. Run \`rls-guard verify\` to apply it to PostgreSQL, or simplify the body.`,
        object: `${fn.schema}.${fn.name}(${fn.argTypes.join(',')}) body`,
        location: fn.createdAt,
      });
    }
    return reports;
  },
};
export default rule;
