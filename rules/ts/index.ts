/**
 * The app-code (TS/JS) rules of rls-guard, by id, with their severities in the shipped configs.
 * Every rule here flags a defect that lets one tenant reach another's rows or makes a query fail
 * at run time, so `recommended` has them all at error; nothing needs type information.
 */
import noUnscopedQuery from './no-unscoped-query.js';

export const tsRules = {
  'no-unscoped-query': noUnscopedQuery,
};

export const tsRecommended: Record<string, 'error' | 'warn'> = {
  'no-unscoped-query': 'error',
};

export const tsStrict: Record<string, 'error' | 'warn'> = {
  ...tsRecommended,
};
