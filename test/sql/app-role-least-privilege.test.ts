/**
 * app-role-least-privilege: no TRUNCATE, REFERENCES, TRIGGER or ALL on tenant tables to app roles
 * or PUBLIC. TRUNCATE ignores RLS and removes every tenant's rows (SPEC behaviour 3).
 */
import { describe, expect, it } from 'vitest';
import { checkSql, ruleHits } from '../support/check-sql.js';

const RULE = 'app-role-least-privilege';
const hits = (sql: string | Record<string, string>, config = {}) => ruleHits(RULE, sql, config);
const APP = { appRoles: ['app'], globalTables: ['plans'] };
/** Line 1: a tenant table and a global one. Each case's grant is on line 2. */
const TABLES = 'CREATE TABLE docs (tenant_id uuid NOT NULL); ALTER TABLE docs ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY; CREATE TABLE plans (id bigint);';
const on = (...lines: string[]) => [TABLES, ...lines].join('\n');

describe(RULE, () => {
  describe('ok', () => {
    it.each([
      ['SELECT, INSERT, UPDATE, DELETE to the app', 'GRANT SELECT, INSERT, UPDATE, DELETE ON docs TO app;'],
      ['ALL to a role that is not an app role', 'GRANT ALL ON docs TO migrator;'],
      ['ALL on a global table', 'GRANT ALL ON plans TO app;'],
      ['TRUNCATE granted then revoked', 'GRANT TRUNCATE ON docs TO app;\nREVOKE TRUNCATE ON docs FROM app;'],
      ['TRUNCATE granted then REVOKE ALL', 'GRANT TRUNCATE ON docs TO app;\nREVOKE ALL ON docs FROM app;'],
      ['ALL granted then the risky ones revoked', 'GRANT ALL ON docs TO app;\nREVOKE TRUNCATE, REFERENCES, TRIGGER ON docs FROM app;'],
      ['SELECT on all tables in the schema', 'GRANT SELECT ON ALL TABLES IN SCHEMA public TO app;'],
      ['default privileges for SELECT only', 'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT ON TABLES TO app;\nCREATE TABLE notes (tenant_id uuid NOT NULL);'],
    ] as const)('%s', async (_name, grant) => {
      expect(await hits(on(grant), APP)).toEqual([]);
    });
  });

  describe('errors', () => {
    it('GRANT ALL to the app role: error at the GRANT, naming what ALL includes', async () => {
      const findings = (await checkSql(on('GRANT ALL ON docs TO app;'), APP)).filter((f) => f.ruleId === RULE);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ severity: 2, location: { file: '001.sql', line: 2, column: 1 } });
      expect(findings[0]!.message).toContain('app role app is granted TRUNCATE, REFERENCES, TRIGGER on tenant table public.docs (GRANT ALL includes them)');
      expect(findings[0]!.message).toContain("TRUNCATE ignores row-level security and removes every tenant's rows");
    });

    it('TRUNCATE to PUBLIC', async () => {
      const findings = (await checkSql(on('GRANT SELECT, TRUNCATE ON docs TO PUBLIC;'), APP)).filter((f) => f.ruleId === RULE);
      expect(findings.map((f) => [f.severity, f.location.line])).toEqual([[2, 2]]);
      expect(findings[0]!.message).toContain('PUBLIC is granted TRUNCATE on tenant table public.docs');
    });

    it.each([
      ['TRUNCATE', on('GRANT TRUNCATE ON docs TO app;'), APP, ['001.sql:2']],
      ['REFERENCES', on('GRANT REFERENCES ON docs TO app;'), APP, ['001.sql:2']],
      ['TRIGGER', on('GRANT TRIGGER ON TABLE docs TO app;'), APP, ['001.sql:2']],
      ['ALL PRIVILEGES', on('GRANT ALL PRIVILEGES ON TABLE docs TO app;'), APP, ['001.sql:2']],
      ['ALL ON ALL TABLES IN SCHEMA', on('GRANT ALL ON ALL TABLES IN SCHEMA public TO app;'), APP, ['001.sql:2']],
      ['ALTER DEFAULT PRIVILEGES ... GRANT ALL: reported at the ALTER', on('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO app;', 'CREATE TABLE notes (tenant_id uuid NOT NULL);'), APP, ['001.sql:2']],
      ['TRUNCATE to a role the app is a member of', on('CREATE ROLE writers; GRANT TRUNCATE ON docs TO writers;', 'GRANT writers TO app;'), APP, ['001.sql:2']],
      ['TRUNCATE to PUBLIC with no app roles configured', on('GRANT TRUNCATE ON docs TO PUBLIC;'), {}, ['001.sql:2']],
      ['a schema-qualified tenant table', 'CREATE SCHEMA crm; GRANT USAGE ON SCHEMA crm TO app; CREATE TABLE crm.docs (tenant_id uuid NOT NULL);\nGRANT ALL ON crm.docs TO app;', APP, ['001.sql:2']],
      ['no USAGE on the schema: the role cannot name the table', 'CREATE SCHEMA crm; CREATE TABLE crm.docs (tenant_id uuid NOT NULL);\nGRANT ALL ON crm.docs TO app;', APP, []],
      ['ALL to two app roles in one GRANT: one finding at the GRANT', on('GRANT ALL ON docs TO app, worker;'), { appRoles: ['app', 'worker'] }, ['001.sql:2']],
    ] as const)('%s', async (_name, sql, config, expected) => {
      expect(await hits(sql, config)).toEqual(expected);
    });

    // Fixed: ALTER DEFAULT PRIVILEGES without IN SCHEMA applies to tables created later in any schema,
    // including schemas created after it; the replay copies it only to the schemas known at the time.
    it('global ALTER DEFAULT PRIVILEGES ... GRANT ALL reaches a schema created later', async () => {
      expect(await hits('ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO app;\nCREATE SCHEMA crm;\nGRANT USAGE ON SCHEMA crm TO app;\nCREATE TABLE crm.docs (tenant_id uuid NOT NULL);', APP)).toEqual(['001.sql:1']);
    });
  });
});
