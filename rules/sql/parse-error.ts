import type { SqlRule } from '../../src/rule.js';

/** SQL that PostgreSQL's parser rejects: the migration fails when run, and rls-guard cannot see what it meant. */
const rule: SqlRule = {
  id: 'parse-error',
  severity: 2,
  description: 'SQL that does not parse is reported at its location; the rest is still analyzed.',
  check({ syntaxErrors, catalog }) {
    const syntax = syntaxErrors.map(({ error, location }) => ({
      message: `PostgreSQL cannot parse this statement: ${error.message}. The migration fails when run; the rest of the file is still analyzed.`,
      object: error.message,
      location,
    }));
    // Statements libpg-query accepts but PostgreSQL's own parser rejects (bind parameters in SET).
    const rejected = catalog.rejected.filter((r) => r.ruleId === 'parse-error').map((r) => ({ message: r.message, object: 'SET with a bind parameter', location: r.location }));
    return [...syntax, ...rejected];
  },
};
export default rule;
