import { admitsEveryObject, OBJECTS_TABLE, publicBuckets } from '../../src/analysis/storage.js';
import type { PolicyState } from '../../src/model/catalog.js';
import type { SqlRule, SqlRuleReport } from '../../src/rule.js';

/**
 * A public Storage bucket serves each object by its URL to anyone, with no policy at all. A
 * SELECT policy on `storage.objects` that admits every object of the bucket adds one thing: every
 * client it applies to can list the bucket (every file's name and metadata), including files
 * that were never linked anywhere. Supabase's advisor reports it as `public_bucket_allows_listing`.
 */
const rule: SqlRule = {
  id: 'storage-public-listing',
  severity: 1,
  description: 'No SELECT policy on storage.objects lets clients list every file of a public bucket.',
  check({ catalog, tenancy }) {
    const objects = catalog.tables.get(OBJECTS_TABLE);
    if (!objects?.rlsEnabled || !tenancy.appHolds('storage', 'objects', 'select')) return [];
    const reads = catalog.policiesOf(OBJECTS_TABLE).filter((p) => (p.command === 'select' || p.command === 'all') && tenancy.policyApplies(p));
    const listing = new Map<PolicyState, string[]>();
    for (const bucket of publicBuckets(catalog)) {
      // A restrictive policy that selects some objects only (by owner, by folder) stops the listing.
      if (reads.some((p) => !p.permissive && p.using && !admitsEveryObject(p.using, bucket))) continue;
      for (const policy of reads) {
        if (!policy.permissive || !admitsEveryObject(policy.using, bucket)) continue;
        listing.set(policy, [...(listing.get(policy) ?? []), bucket]);
      }
    }
    const reports: SqlRuleReport[] = [];
    for (const [policy, buckets] of listing) {
      const named = buckets.map((b) => `'${b}'`).join(', ');
      const first = buckets[0]!;
      reports.push({
        message: `Policy ${policy.name} on storage.objects (FOR ${policy.command.toUpperCase()} TO ${policy.roles.join(', ')}) admits every object of the public bucket${buckets.length > 1 ? 's' : ''} ${named}, so every client it applies to can list every file in ${buckets.length > 1 ? 'them' : 'it'}, not only fetch the ones it was given a URL for. A public bucket needs no SELECT policy for its URLs: drop the policy, or key it to the owner, e.g. USING (bucket_id = '${first}' AND owner_id = (SELECT auth.uid())::text).`,
        object: `${OBJECTS_TABLE} policy ${policy.name}`,
        location: policy.changedAt,
      });
    }
    return reports;
  },
};
export default rule;
