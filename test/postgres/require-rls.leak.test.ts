/**
 * require-rls: a tenant table (partitions included) that never enables RLS shows every role with
 * SELECT every tenant's rows; a partition queried directly applies only its own RLS.
 */
import { describe, expect, it } from 'vitest';
import { withScratchDatabase } from '../support/pg.js';
import { ROLES_SQL, TENANT_A, TENANT_B, applyMigration, errors, findings, lineOf, safeTable, seedTwoTenants, seenBy } from './helpers.js';

const RULE = 'require-rls';

const NO_RLS = `CREATE TABLE notes (
  id int PRIMARY KEY,
  tenant_id uuid NOT NULL,
  body text
);
GRANT SELECT, INSERT, UPDATE, DELETE ON notes TO app_user;`;

const PIN = `tenant_id = current_setting('app.current_tenant')::uuid`;
const partitioned = (partitionRls: string) => `CREATE TABLE events (
  id int NOT NULL,
  tenant_id uuid NOT NULL,
  at date NOT NULL
) PARTITION BY RANGE (at);
ALTER TABLE events ENABLE ROW LEVEL SECURITY;
ALTER TABLE events FORCE ROW LEVEL SECURITY;
CREATE POLICY events_tenant ON events USING (${PIN}) WITH CHECK (${PIN});
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
${partitionRls}GRANT SELECT, INSERT, UPDATE, DELETE ON events, events_2025 TO app_user;`;
const PARTITION_LEAKY = partitioned('');
const PARTITION_FIXED = partitioned(`ALTER TABLE events_2025 ENABLE ROW LEVEL SECURITY;
ALTER TABLE events_2025 FORCE ROW LEVEL SECURITY;
CREATE POLICY events_2025_tenant ON events_2025 USING (${PIN}) WITH CHECK (${PIN});
`);

async function seedEvents(db: Parameters<Parameters<typeof withScratchDatabase>[0]>[0]): Promise<void> {
  await db.query(`INSERT INTO events VALUES (1, '${TENANT_A}', '2025-03-01'), (2, '${TENANT_B}', '2025-04-01')`);
}

describe(`${RULE} on PostgreSQL`, () => {
  it('a tenant table without RLS: reported at its CREATE TABLE, and the app reads and deletes the other tenant\'s rows', async () => {
    expect(await findings(RULE, NO_RLS)).toEqual([{ ruleId: RULE, at: `001.sql:${lineOf(NO_RLS, 'CREATE TABLE notes')}` }]);
    await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      await applyMigration(db, NO_RLS, 'mig_owner');
      await seedTwoTenants(db, 'notes');
      expect(await seenBy(db, 'app_user', TENANT_A, 'SELECT tenant_id FROM notes')).toEqual([TENANT_A, TENANT_B]);
      const deleted = await db.asRole('app_user', { 'app.current_tenant': TENANT_A }, async (c) => (await c.query('DELETE FROM notes WHERE id = 2')).rowCount);
      expect(deleted).toBe(1);
    });
  });

  it('a partition without RLS under a forced parent: reported at the partition, and the app reads it directly unfiltered', async () => {
    expect(await findings(RULE, PARTITION_LEAKY)).toEqual([{ ruleId: RULE, at: `001.sql:${lineOf(PARTITION_LEAKY, 'CREATE TABLE events_2025')}` }]);
    await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      await applyMigration(db, PARTITION_LEAKY, 'mig_owner');
      await seedEvents(db);
      expect(await seenBy(db, 'app_user', TENANT_A, 'SELECT tenant_id FROM events')).toEqual([TENANT_A]);
      expect(await seenBy(db, 'app_user', TENANT_A, 'SELECT tenant_id FROM events_2025')).toEqual([TENANT_A, TENANT_B]);
    });
  });

  it('fixed: RLS on the table, and on each partition with its own policy: no finding, no error, no leak', async () => {
    const fixedTable = safeTable('notes');
    expect(await findings(RULE, fixedTable)).toEqual([]);
    expect(await errors(fixedTable)).toEqual([]);
    expect(await findings(RULE, PARTITION_FIXED)).toEqual([]);
    expect(await errors(PARTITION_FIXED)).toEqual([]);
    await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      await applyMigration(db, `${fixedTable}\n${PARTITION_FIXED}`, 'mig_owner');
      await seedTwoTenants(db, 'notes');
      await seedEvents(db);
      expect(await seenBy(db, 'app_user', TENANT_A, 'SELECT tenant_id FROM notes')).toEqual([TENANT_A]);
      expect(await seenBy(db, 'app_user', TENANT_A, 'SELECT tenant_id FROM events_2025')).toEqual([TENANT_A]);
      expect(await seenBy(db, 'mig_owner', TENANT_A, 'SELECT tenant_id FROM events_2025')).toEqual([TENANT_A]);
    });
  });
});
