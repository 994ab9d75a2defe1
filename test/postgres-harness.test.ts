import { describe, expect, it } from 'vitest';
import { withScratchDatabase } from './support/pg.js';

describe('test PostgreSQL server', () => {
  it('is a real PostgreSQL that enforces RLS for a non-owner role', async () => {
    await withScratchDatabase(async (db) => {
      const version = await db.query<{ server_version_num: string }>('SHOW server_version_num');
      expect(Number(version.rows[0]!.server_version_num)).toBeGreaterThanOrEqual(150000);
      await db.query(`
        CREATE ROLE harness_app NOLOGIN;
        CREATE TABLE t (tenant_id int NOT NULL, v text);
        INSERT INTO t VALUES (1, 'a'), (2, 'b');
        ALTER TABLE t ENABLE ROW LEVEL SECURITY;
        CREATE POLICY p ON t USING (tenant_id = current_setting('app.current_tenant')::int);
        GRANT SELECT ON t TO harness_app;`);
      const rows = await db.asRole('harness_app', { 'app.current_tenant': '1' }, async (c) => (await c.query('SELECT v FROM t')).rows);
      expect(rows).toEqual([{ v: 'a' }]);
    });
  });
});
