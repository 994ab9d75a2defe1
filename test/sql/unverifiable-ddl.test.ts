/**
 * unverifiable-ddl (warning): RLS-relevant DDL that static analysis cannot see (dynamic EXECUTE in
 * DO blocks or in functions a migration calls) is reported as not evaluated, naming
 * `rls-guard verify`, never passed silently. Static statements in DO blocks are replayed.
 */
import { describe, expect, it } from 'vitest';
import { checkSql, ruleHits } from '../support/check-sql.js';

const RULE = 'unverifiable-ddl';
const hits = (sql: string | Record<string, string>, config = {}) => ruleHits(RULE, sql, config);
const TABLE = 'CREATE TABLE docs (tenant_id uuid NOT NULL);';
const on = (...lines: string[]) => [TABLE, ...lines].join('\n');
const ENABLE_ALL = `CREATE FUNCTION enable_rls(t text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t); END $$;`;

describe(RULE, () => {
  describe('ok', () => {
    it.each([
      ['plain DDL', on('ALTER TABLE docs ENABLE ROW LEVEL SECURITY;')],
      ['a DO block with static DDL inside IF', on("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app') THEN CREATE ROLE app LOGIN; END IF; ALTER TABLE docs ENABLE ROW LEVEL SECURITY; END $$;")],
      ['a DO block with a constant EXECUTE', on("DO $$ BEGIN EXECUTE 'ALTER TABLE docs ENABLE ROW LEVEL SECURITY'; END $$;")],
      ['a DO loop over a constant array, EXECUTE format(%I) of the loop variable (unrolled)', on("DO $$ DECLARE t text; BEGIN FOREACH t IN ARRAY ARRAY['docs'] LOOP EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t); END LOOP; END $$;")],
      ['a function with dynamic SQL that no migration calls', on(ENABLE_ALL)],
      ['calling a function without dynamic SQL', on("CREATE FUNCTION one() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;", 'SELECT one();')],
    ] as const)('%s', async (_name, sql) => {
      expect(await hits(sql)).toEqual([]);
    });
  });

  describe('errors', () => {
    it('a DO block running dynamic EXECUTE: warning naming rls-guard verify', async () => {
      const findings = (await checkSql(on("DO $$ BEGIN EXECUTE 'ALTER TABLE ' || quote_ident(current_setting('app.table')) || ' ENABLE ROW LEVEL SECURITY'; END $$;"))).filter((f) => f.ruleId === RULE);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ severity: 1, location: { file: '001.sql', line: 2, column: 13 } /* the EXECUTE, not DO */ });
      expect(findings[0]!.message).toContain('Not evaluated: a DO block that runs dynamic SQL');
      expect(findings[0]!.message).toContain('Run `rls-guard verify` to check the applied result against PostgreSQL.');
    });

    it('a migration calling a function that runs dynamic SQL', async () => {
      const findings = (await checkSql(on(ENABLE_ALL, "SELECT enable_rls('docs');"))).filter((f) => f.ruleId === RULE);
      expect(findings.map((f) => [f.severity, f.location.line])).toEqual([[1, 3]]);
      expect(findings[0]!.message).toContain('a call of public.enable_rls(), which runs dynamic SQL');
    });

    it.each([
      ['EXECUTE format(\'%I\') in a loop', on("DO $$ DECLARE r record; BEGIN FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', r.tablename); END LOOP; END $$;"), ['001.sql:2']],
      ['static DDL and dynamic EXECUTE in one DO block', on("DO $$ BEGIN ALTER TABLE docs ENABLE ROW LEVEL SECURITY; EXECUTE 'CREATE POLICY p ON docs USING (' || current_setting('app.predicate') || ')'; END $$;"), ['001.sql:2']],
      ['a DO block in another language', on("DO LANGUAGE plperl $$ spi_exec_query('ALTER TABLE docs DISABLE ROW LEVEL SECURITY'); $$;"), ['001.sql:2']],
      ['CALL of a procedure that runs dynamic SQL', on("CREATE PROCEDURE lock_down(t text) LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'ALTER TABLE ' || t || ' FORCE ROW LEVEL SECURITY'; END $$;", "CALL lock_down('docs');"), ['001.sql:3']],
      ['in a later file', { '001_a.sql': TABLE, '002_b.sql': "SELECT 1;\nDO $$ BEGIN EXECUTE 'ALTER TABLE ' || current_setting('app.table') || ' ENABLE ROW LEVEL SECURITY'; END $$;" }, ['002_b.sql:2']],
    ] as const)('%s', async (_name, sql, expected) => {
      expect(await hits(sql)).toEqual(expected);
    });
    });

  describe('SECURITY DEFINER bodies rls-guard cannot read', () => {
    const BROKEN = `CREATE FUNCTION lookup(t uuid) RETURNS int LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  RETURN (SELECT count(*) FROM public.docs WHERE tenant_id = t)
  this is not plpgsql (
END $$;`;
    it('a warning at the function saying it was not evaluated, and no search_path error guessed from it', async () => {
      const findings = await checkSql(on(BROKEN));
      const notEvaluated = findings.filter((f) => f.ruleId === RULE);
      expect(notEvaluated.map((f) => [f.severity, f.location.line])).toEqual([[1, 2]]);
      expect(notEvaluated[0]!.message).toContain('Not evaluated: the body of SECURITY DEFINER function public.lookup(uuid) could not be parsed');
      expect(findings.filter((f) => f.ruleId === 'security-definer-search-path')).toEqual([]);
    });

    it('with no search_path at all the search_path error stands: it does not depend on the body', async () => {
      const findings = await checkSql(on(BROKEN.replace("SET search_path = '' ", '')));
      expect(findings.filter((f) => f.ruleId === 'security-definer-search-path').map((f) => f.location.line)).toEqual([2]);
    });

    it('a readable body, and a SECURITY INVOKER one that does not parse, are not reported', async () => {
      expect(await hits(on("CREATE FUNCTION ok(t uuid) RETURNS bigint LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ SELECT count(*) FROM public.docs WHERE tenant_id = t $$;"))).toEqual([]);
      expect(await hits(on(BROKEN.replace(' SECURITY DEFINER', '')))).toEqual([]);
    });
  });
});
