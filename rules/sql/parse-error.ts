import type { SqlRule } from '../../src/rule.js';

/** SQL that PostgreSQL's parser rejects: the migration fails when run, and rls-guard cannot see what it meant. */
const rule: SqlRule = {
  id: 'parse-error',
  severity: 2,
  description: 'SQL that does not parse is reported at its location; the rest is still analyzed.',
  check({ syntaxErrors }) {
    return syntaxErrors.map(({ error, location }) => ({
      message: `PostgreSQL cannot parse this statement: ${error.message}. The migration fails when run; the rest of the file is still analyzed.`,
      object: error.message,
      location,
    }));
  },
};
export default rule;
