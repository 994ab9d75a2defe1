/**
 * no-bypass-role: no SUPERUSER or BYPASSRLS role except `allowBypassRoles` (they skip every policy,
 * FORCE included); app roles are not members of such roles and do not own tenant tables.
 */
import { describe, expect, it } from 'vitest';
import { checkSql, ruleHits } from '../support/check-sql.js';

const RULE = 'no-bypass-role';
const hits = (sql: string | Record<string, string>, config = {}) => ruleHits(RULE, sql, config);
const APP = { appRoles: ['app'], allowBypassRoles: ['migrator'] };
const TABLE = 'CREATE TABLE docs (tenant_id uuid NOT NULL); ALTER TABLE docs ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;';

describe(RULE, () => {
  describe('ok', () => {
    it.each([
      ['a plain login role', 'CREATE ROLE app LOGIN;'],
      ['an allowed BYPASSRLS migration role', 'CREATE ROLE migrator LOGIN BYPASSRLS;'],
      ['an allowed SUPERUSER', 'CREATE ROLE migrator SUPERUSER;'],
      ['NOBYPASSRLS', 'CREATE ROLE svc NOBYPASSRLS;'],
      ['SUPERUSER taken away later', 'CREATE ROLE admin SUPERUSER;\nALTER ROLE admin NOSUPERUSER;'],
      ['app member of an ordinary role', 'CREATE ROLE readers; CREATE ROLE app LOGIN;\nGRANT readers TO app;'],
      ['app membership of the migrator revoked', 'CREATE ROLE migrator BYPASSRLS; CREATE ROLE app LOGIN;\nGRANT migrator TO app;\nREVOKE migrator FROM app;'],
      ['the migrator owns the tenant table', `CREATE ROLE app LOGIN;\n${TABLE}\nALTER TABLE docs OWNER TO migrator;`],
      ['app owns a global table', `CREATE ROLE app LOGIN;\nCREATE TABLE plans (id bigint);\nALTER TABLE plans OWNER TO app;`],
      ['app ownership handed back to the migrator', `CREATE ROLE app LOGIN;\n${TABLE}\nALTER TABLE docs OWNER TO app;\nALTER TABLE docs OWNER TO migrator;`],
    ] as const)('%s', async (_name, sql) => {
      expect(await hits(sql, { ...APP, globalTables: ['plans'] })).toEqual([]);
    });

    it('a privileged role dropped later', async () => {
      expect(await hits('CREATE ROLE admin SUPERUSER;\nDROP ROLE admin;', APP)).toEqual([]);
    });
  });

  describe('errors', () => {
    it('a SUPERUSER role: error at the CREATE ROLE', async () => {
      const findings = (await checkSql('CREATE ROLE admin SUPERUSER LOGIN;', APP)).filter((f) => f.ruleId === RULE);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ severity: 2, location: { file: '001.sql', line: 1, column: 1 } });
      expect(findings[0]!.message).toContain('Role admin is SUPERUSER: it bypasses row-level security on every table, FORCE included.');
      expect(findings[0]!.message).toContain('list the role in allowBypassRoles');
    });

    it('ALTER ROLE app BYPASSRLS: reported at the ALTER, as an app role', async () => {
      const findings = (await checkSql('CREATE ROLE app LOGIN;\nALTER ROLE app BYPASSRLS;', APP)).filter((f) => f.ruleId === RULE);
      expect(findings.map((f) => f.location.line)).toEqual([2]);
      expect(findings[0]!.message).toContain('Role app is BYPASSRLS');
      expect(findings[0]!.message).toContain('It is an app role: for the application every policy is inert.');
    });

    it('app role member of a bypass role: error at the GRANT', async () => {
      const findings = (await checkSql('CREATE ROLE migrator BYPASSRLS; CREATE ROLE app LOGIN;\nGRANT migrator TO app;', APP)).filter((f) => f.ruleId === RULE);
      expect(findings.map((f) => [f.severity, f.location.line])).toEqual([[2, 2]]);
      expect(findings[0]!.message).toContain('App role app is a member of migrator, which bypasses row-level security');
    });

    it('app role owning a tenant table: error at the OWNER TO', async () => {
      const findings = (await checkSql(`CREATE ROLE app LOGIN;\n${TABLE}\nALTER TABLE docs OWNER TO app;`, APP)).filter((f) => f.ruleId === RULE);
      expect(findings.map((f) => [f.severity, f.location.line])).toEqual([[2, 3]]);
      expect(findings[0]!.message).toContain('App role app owns tenant table public.docs');
    });

    it.each([
      ['BYPASSRLS without allowBypassRoles', 'CREATE ROLE svc BYPASSRLS;', {}, ['001.sql:1']],
      ['CREATE USER ... WITH SUPERUSER', 'CREATE USER root WITH SUPERUSER;', APP, ['001.sql:1']],
      ['ALTER ROLE ... SUPERUSER later', 'CREATE ROLE ops LOGIN;\nALTER ROLE ops WITH SUPERUSER;', APP, ['001.sql:2']],
      ['a bypass role is reported even when app roles are not configured', 'SELECT 1;\nCREATE ROLE ops BYPASSRLS;', {}, ['001.sql:2']],
      ['app member through an intermediate role', 'CREATE ROLE migrator BYPASSRLS; CREATE ROLE staff; CREATE ROLE app LOGIN;\nGRANT migrator TO staff;\nGRANT staff TO app;', APP, ['001.sql:3']],
      ['ALTER GROUP migrator ADD USER app', 'CREATE ROLE migrator BYPASSRLS; CREATE ROLE app LOGIN;\nALTER GROUP migrator ADD USER app;', APP, ['001.sql:2']],
      ['CREATE ROLE migrator ... ROLE app', 'CREATE ROLE app LOGIN;\nCREATE ROLE migrator BYPASSRLS ROLE app;', APP, ['001.sql:2']],
      ['CREATE ROLE app IN ROLE migrator', 'CREATE ROLE migrator BYPASSRLS;\nCREATE ROLE app LOGIN IN ROLE migrator;', APP, ['001.sql:2']],
      ['app owns a tenant table with a quoted name', 'CREATE ROLE app LOGIN;\nCREATE TABLE "Tenant_Docs" (tenant_id uuid NOT NULL);\nALTER TABLE "Tenant_Docs" OWNER TO app;', APP, ['001.sql:3']],
      ['app owns a schema-qualified tenant table', 'CREATE ROLE app LOGIN; CREATE SCHEMA crm;\nCREATE TABLE crm.docs (tenant_id uuid NOT NULL);\nALTER TABLE crm.docs OWNER TO app;', APP, ['001.sql:3']],
    ] as const)('%s', async (_name, sql, config, expected) => {
      expect(await hits(sql, config)).toEqual(expected);
    });
  });
});
