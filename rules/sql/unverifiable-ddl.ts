import type { SqlRule } from '../../src/rule.js';

/** Dynamic SQL is invisible to static analysis: say so instead of passing it silently. */
const rule: SqlRule = {
  id: 'unverifiable-ddl',
  severity: 1,
  description: 'DDL run through dynamic SQL is reported as not evaluated.',
  check({ catalog }) {
    return catalog.unverifiable.map((u) => ({
      message: `Not evaluated: ${u.what}; it can change tables, policies or roles in ways static analysis cannot see. Run \`rls-guard verify\` to check the applied result against PostgreSQL.`,
      object: u.what,
      location: u.location,
    }));
  },
};
export default rule;
