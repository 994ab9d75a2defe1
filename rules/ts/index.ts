/**
 * The app-code (TS/JS) rules of rls-guard, by id, with their severities in the shipped configs.
 * Every rule here flags a defect that lets one tenant reach another's rows or makes queries fail
 * at run time, so `recommended` has them all at error. None needs type information.
 */
import noInterpolatedTenantContext from './no-interpolated-tenant-context.js';
import noLibpqOptions from './no-libpq-options.js';
import noOwnerDatabaseUrl from './no-owner-database-url.js';
import noRlsBypassInApp from './no-rls-bypass-in-app.js';
import noUnscopedQuery from './no-unscoped-query.js';
import tenantContextTransactionLocal from './tenant-context-transaction-local.js';

export const tsRules = {
  'no-unscoped-query': noUnscopedQuery,
  'no-libpq-options': noLibpqOptions,
  'no-owner-database-url': noOwnerDatabaseUrl,
  'tenant-context-transaction-local': tenantContextTransactionLocal,
  'no-interpolated-tenant-context': noInterpolatedTenantContext,
  'no-rls-bypass-in-app': noRlsBypassInApp,
};

export const tsRecommended: Record<string, 'error' | 'warn'> = {
  'no-unscoped-query': 'error',
  'no-libpq-options': 'error',
  'no-owner-database-url': 'error',
  'tenant-context-transaction-local': 'error',
  'no-interpolated-tenant-context': 'error',
  'no-rls-bypass-in-app': 'error',
};

export const tsStrict: Record<string, 'error' | 'warn'> = {
  ...tsRecommended,
};
