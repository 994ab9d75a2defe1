import type { SqlRule } from '../../src/rule.js';
import appRoleLeastPrivilege from './app-role-least-privilege.js';
import noBypassRole from './no-bypass-role.js';
import noFailOpenPolicy from './no-fail-open-policy.js';
import noRlsDisable from './no-rls-disable.js';
import multiplePermissivePolicies from './multiple-permissive-policies.js';
import parseError from './parse-error.js';
import policyInitplan from './policy-initplan.js';
import requireForceRls from './require-force-rls.js';
import requireRls from './require-rls.js';
import requireTenantColumn from './require-tenant-column.js';
import requireTenantPolicy from './require-tenant-policy.js';
import requireWithCheck from './require-with-check.js';
import securityDefinerNarrow from './security-definer-narrow.js';
import securityDefinerSearchPath from './security-definer-search-path.js';
import storagePublicListing from './storage-public-listing.js';
import unverifiableDdl from './unverifiable-ddl.js';
import viewSecurityInvoker from './view-security-invoker.js';

/** Every SQL rule, in catalog order (SPEC section 4; then issue 17's storage and opt-in performance rules). */
export const sqlRules: readonly SqlRule[] = [
  requireTenantColumn,
  requireRls,
  requireForceRls,
  requireTenantPolicy,
  requireWithCheck,
  noFailOpenPolicy,
  securityDefinerSearchPath,
  securityDefinerNarrow,
  noBypassRole,
  noRlsDisable,
  viewSecurityInvoker,
  appRoleLeastPrivilege,
  storagePublicListing,
  policyInitplan,
  multiplePermissivePolicies,
  parseError,
  unverifiableDdl,
];
