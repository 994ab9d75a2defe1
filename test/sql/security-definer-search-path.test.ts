/**
 * security-definer-search-path: a SECURITY DEFINER function or procedure pins search_path with
 * pg_temp explicitly last. Otherwise pg_temp is searched first for relations, and a caller's
 * temporary table shadows the real one (SPEC behaviour 8). Fully qualified bodies under '' are safe.
 */
import { describe, expect, it } from 'vitest';
import { checkSql, ruleHits } from '../support/check-sql.js';

const RULE = 'security-definer-search-path';
const hits = (sql: string | Record<string, string>, config = {}) => ruleHits(RULE, sql, config);
/** Line 1: the table the lookup reads. Each case's function starts on line 2. */
const TABLE = 'CREATE TABLE api_keys (key text PRIMARY KEY, tenant_id uuid NOT NULL);';
const on = (...lines: string[]) => [TABLE, ...lines].join('\n');
const fn = (options: string, body = 'SELECT tenant_id FROM api_keys WHERE key = k') =>
  `CREATE FUNCTION tenant_for_key(k text) RETURNS uuid LANGUAGE sql STABLE SECURITY DEFINER ${options} AS $$ ${body} $$;`;
const plpgsql = (options: string, table = 'api_keys') =>
  `CREATE FUNCTION tenant_for_key(k text) RETURNS uuid LANGUAGE plpgsql SECURITY DEFINER ${options} AS $$ DECLARE t uuid; BEGIN SELECT tenant_id INTO t FROM ${table} WHERE key = k; RETURN t; END $$;`;

describe(RULE, () => {
  describe('ok', () => {
    it.each([
      ['SET search_path = pg_catalog, pg_temp', fn('SET search_path = pg_catalog, pg_temp', 'SELECT tenant_id FROM public.api_keys WHERE key = k')],
      ['SET search_path = public, pg_temp (pg_temp last)', fn('SET search_path = public, pg_temp')],
      ['SET search_path TO with a quoted list string', fn("SET search_path TO 'public, pg_temp'")],
      ["SET search_path = '' with a fully qualified body", fn("SET search_path = ''", 'SELECT tenant_id FROM public.api_keys WHERE key = k')],
      ["plpgsql, SET search_path = '', fully qualified", plpgsql("SET search_path = ''", 'public.api_keys')],
      ['plpgsql, pg_temp last', plpgsql('SET search_path = public, pg_temp')],
      ['SECURITY INVOKER (the default) needs no SET', 'CREATE FUNCTION tenant_for_key(k text) RETURNS uuid LANGUAGE sql AS $$ SELECT tenant_id FROM api_keys WHERE key = k $$;'],
      ['a later ALTER FUNCTION ... SET search_path', `${fn('')}\nALTER FUNCTION tenant_for_key(text) SET search_path = pg_catalog, public, pg_temp;`],
      ['a later ALTER FUNCTION ... SECURITY INVOKER', `${fn('')}\nALTER FUNCTION tenant_for_key(text) SECURITY INVOKER;`],
      ['CREATE OR REPLACE that adds the SET', `${fn('')}\n${fn('SET search_path = public, pg_temp').replace('CREATE', 'CREATE OR REPLACE')}`],
      ['dropped', `${fn('')}\nDROP FUNCTION tenant_for_key(text);`],
      ['a trigger reading its transition table by name', `CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$ BEGIN INSERT INTO public.api_keys (key, tenant_id) SELECT key || '-old', tenant_id FROM deleted; RETURN NULL; END $$;
CREATE TRIGGER keys_audit AFTER DELETE ON api_keys REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION audit();`],
      ["BEGIN ATOMIC body under '' (names bound at creation)", "CREATE FUNCTION tenant_for_key(k text) RETURNS uuid LANGUAGE sql SECURITY DEFINER SET search_path = '' BEGIN ATOMIC SELECT tenant_id FROM public.api_keys WHERE key = k; END;"],
    ] as const)('%s', async (_name, sql) => {
      expect(await hits(on(sql))).toEqual([]);
    });
  });

  describe('errors', () => {
    it('the same name read by a function no trigger gives that transition table: pg_temp is where it is found', async () => {
      const sql = on("CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$ BEGIN INSERT INTO public.api_keys (key, tenant_id) SELECT key, tenant_id FROM deleted; RETURN NULL; END $$;");
      expect(await hits(sql)).toEqual(['001.sql:2']);
    });

    it('no SET: error at the function, naming the unqualified table', async () => {
      const findings = (await checkSql(on(fn('')))).filter((f) => f.ruleId === RULE);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ severity: 2, location: { file: '001.sql', line: 2, column: 1 } });
      expect(findings[0]!.message).toContain('SECURITY DEFINER function public.tenant_for_key(text) does not pin search_path');
      expect(findings[0]!.message).toContain("a caller's temporary table named `api_keys` is read instead of the real one");
    });

    it("SET search_path = '' with an unqualified table: the table resolves to pg_temp first", async () => {
      const [finding] = (await checkSql(on(fn("SET search_path = ''")))).filter((f) => f.ruleId === RULE);
      expect(finding).toMatchObject({ severity: 2, location: { line: 2 } });
      expect(finding!.message).toContain("sets search_path = '' without pg_temp last: the unqualified `api_keys` resolves to a caller's temporary table first");
    });

    it.each([
      ['SET search_path = public', on(fn('SET search_path = public')), ['001.sql:2']],
      ['SET search_path = pg_temp, public (pg_temp first)', on(fn('SET search_path = pg_temp, public')), ['001.sql:2']],
      ['SET search_path = "$user", public', on(fn('SET search_path = "$user", public')), ['001.sql:2']],
      ['no SET, even with a qualified body', on(fn('', 'SELECT tenant_id FROM public.api_keys WHERE key = k')), ['001.sql:2']],
      ['plpgsql without SET', on(plpgsql('')), ['001.sql:2']],
      ["plpgsql, SET search_path = '', unqualified", on(plpgsql("SET search_path = ''")), ['001.sql:2']],
      ['a procedure', on("CREATE PROCEDURE rotate_key(k text) LANGUAGE sql SECURITY DEFINER AS $$ DELETE FROM api_keys WHERE key = k $$;"), ['001.sql:2']],
      ['a later ALTER FUNCTION ... RESET search_path: reported at the ALTER', on(fn('SET search_path = public, pg_temp'), 'ALTER FUNCTION tenant_for_key(text) RESET search_path;'), ['001.sql:3']],
      ['a later ALTER FUNCTION ... SET search_path = public: reported at the ALTER', on(fn(''), 'ALTER FUNCTION tenant_for_key(text) SET search_path = public;'), ['001.sql:3']],
      ['CREATE OR REPLACE that drops the SET: reported at the replacement', on(fn('SET search_path = public, pg_temp'), fn('').replace('CREATE', 'CREATE OR REPLACE')), ['001.sql:3']],
      ['SET search_path FROM CURRENT in a session with search_path = public', on('SET search_path = public;', fn('SET search_path FROM CURRENT')), ['001.sql:3']],
      ['schema-qualified function in a schema the migration creates', on('CREATE SCHEMA auth;', fn('').replace('tenant_for_key', 'auth.tenant_for_key')), ['001.sql:3']],
    ] as const)('%s', async (_name, sql, expected) => {
      expect(await hits(sql)).toEqual(expected);
    });

    it('a procedure is named as one', async () => {
      const [finding] = (await checkSql(on("CREATE PROCEDURE rotate_key(k text) LANGUAGE sql SECURITY DEFINER AS $$ DELETE FROM api_keys WHERE key = k $$;"))).filter((f) => f.ruleId === RULE);
      expect(finding!.message).toContain('SECURITY DEFINER procedure public.rotate_key(text) does not pin search_path');
    });

    // Fixed: pg_temp is last, but the unqualified `api_keys` lives in public, which is not on the path:
    // PostgreSQL looks in pg_catalog, then pg_temp, so a caller's temporary api_keys is read (the
    // forged-rows attack of SPEC behaviour 8). Only names that resolve before pg_temp are safe.
    it('SET search_path = pg_catalog, pg_temp with an unqualified table outside pg_catalog', async () => {
      expect(await hits(on(fn('SET search_path = pg_catalog, pg_temp')))).toEqual(['001.sql:2']);
    });
  });
});
