/**
 * The app rules' pre-filters (`mayWriteSetting`, `mayStartTransaction`, `mayChangeRowSecurity`)
 * only skip parsing text that cannot hold what a rule looks for: whenever the parsed AST has a
 * setting write, a BEGIN or a DISABLE / NO FORCE ROW LEVEL SECURITY, the filter lets the text
 * through — in any case, with comments between the words, quoted or Unicode-escaped names.
 */
import { describe, expect, it } from 'vitest';
import {
  hasWord,
  mayChangeRowSecurity,
  mayStartTransaction,
  mayWriteSetting,
  parseSqlText,
  settingWrites,
  startsTransaction,
  walkSql,
} from '../../src/app/embedded-sql.js';
import type { AstNode } from '../../src/sql/parse.js';
import { noInterpolatedTenantContext } from '../../rules/ts/no-interpolated-tenant-context.js';
import { noRlsBypassInApp } from '../../rules/ts/no-rls-bypass-in-app.js';
import { tenantContextTransactionLocal } from '../../rules/ts/tenant-context-transaction-local.js';
import { RuleTester } from './rule-tester.js';

/** What the rules read off the AST, for one text; null when it does not parse. */
function facts(text: string): { writes: boolean; begins: boolean; rowSecurity: boolean } | null {
  const statements = parseSqlText(text);
  if (!statements) return null;
  let rowSecurity = false;
  walkSql(statements, (kind, fields: AstNode) => {
    if (kind === 'AlterTableCmd' && (fields.subtype === 'AT_DisableRowSecurity' || fields.subtype === 'AT_NoForceRowSecurity')) rowSecurity = true;
  });
  return { writes: settingWrites(statements).length > 0, begins: statements.some(startsTransaction), rowSecurity };
}

/** Statements that each hold at least one construct a rule looks for. */
const FINDINGS = [
  "SET app.current_tenant = '1'",
  'SET LOCAL app.current_tenant TO 1',
  "SET SESSION app.current_tenant = 'x'",
  'SET ROLE admin',
  'SET SESSION AUTHORIZATION owner',
  'SET row_security = off',
  "SET TIME ZONE 'UTC'",
  'SET "app.current_tenant" = 7',
  'SET app.current_tenant = DEFAULT',
  "SELECT set_config('app.current_tenant', $1, true)",
  "SELECT pg_catalog.set_config('app.current_tenant', $1, false)",
  'SELECT "set_config"(\'app.current_tenant\', $1, false)',
  'SELECT "pg_catalog"."set_config"(\'role\', \'admin\', false)',
  'SELECT U&"\\0073et_config"(\'app.current_tenant\', $1, false)',
  'SELECT U&"\\+000073et_config"(\'app.current_tenant\', $1, false)',
  'SELECT u&"set\\005fconfig"(\'app.bypass_rls\', \'on\', true)',
  "SELECT U&\"!0073et!005Fconfig\" UESCAPE '!'('row_security', 'off', false)",
  "SELECT id FROM orders WHERE EXISTS (SELECT set_config('role', 'admin', false))",
  "WITH x AS (SELECT set_config('app.current_tenant', $1, true) AS t) SELECT t FROM x",
  "SELECT 1;SET app.current_tenant=1",
  "SELECT $1::int;SET app.current_tenant=$1",
  "CREATE FUNCTION f() RETURNS int LANGUAGE sql SET search_path = public AS 'select 1'",
  'BEGIN',
  'BEGIN TRANSACTION',
  'BEGIN ISOLATION LEVEL SERIALIZABLE',
  'START TRANSACTION',
  "BEGIN; SET LOCAL app.current_tenant = '1'",
  'ALTER TABLE orders DISABLE ROW LEVEL SECURITY',
  'ALTER TABLE app.invoices NO FORCE ROW LEVEL SECURITY',
  'ALTER TABLE IF EXISTS ONLY "Orders" ADD COLUMN y int, DISABLE ROW LEVEL SECURITY',
  'ALTER TABLE orders ENABLE ROW LEVEL SECURITY; ALTER TABLE orders NO FORCE ROW LEVEL SECURITY',
];

/** The same text in other spellings the lexer reads the same way (or, for quoted names, not). */
const SPELLINGS: [string, (text: string) => string][] = [
  ['as written', (t) => t],
  ['lower case', (t) => t.toLowerCase()],
  ['upper case', (t) => t.toUpperCase()],
  ['mixed case', (t) => [...t].map((c, i) => (i % 2 ? c.toUpperCase() : c.toLowerCase())).join('')],
  ['block comments for spaces', (t) => t.replaceAll(' ', '/**/')],
  ['nested comments for spaces', (t) => t.replaceAll(' ', '/* x /* SET */ y */')],
  ['line comments for spaces', (t) => t.replaceAll(' ', '\n-- note\n')],
  ['tabs and newlines for spaces', (t) => t.replaceAll(' ', '\t\r\n')],
  ['leading and trailing comments', (t) => `/*a*/${t}--z`],
];

describe('SQL pre-filters', () => {
  it('never skip text whose AST holds a setting write, a BEGIN or a row security change', () => {
    let checked = 0;
    for (const base of FINDINGS) {
      for (const [spelling, spell] of SPELLINGS) {
        const text = spell(base);
        const found = facts(text);
        if (!found) continue;
        const label = `${spelling}: ${JSON.stringify(text)}`;
        if (found.writes) expect(mayWriteSetting(text), label).toBe(true);
        if (found.begins) expect(mayStartTransaction(text), label).toBe(true);
        if (found.rowSecurity) expect(mayChangeRowSecurity(text), label).toBe(true);
        if (found.writes || found.begins || found.rowSecurity) checked++;
      }
    }
    // Most spellings parse and keep their finding: the check above is not vacuous.
    expect(checked).toBeGreaterThan(FINDINGS.length * 6);
  });

  it('read the finding of every base statement (the corpus tests what it claims to)', () => {
    for (const text of FINDINGS) {
      const found = facts(text);
      expect(found, text).not.toBeNull();
      expect(found!.writes || found!.begins || found!.rowSecurity, text).toBe(true);
    }
  });

  it('skip text that cannot hold the construct, even with the letters inside other words', () => {
    const skipped = [
      'SELECT id, name FROM orders ORDER BY created_at DESC LIMIT 10 OFFSET $1',
      'SELECT reset_token, settings, asset_id, started_at, begin_date, securityLevel FROM accounts',
      'SELECT set_config_value, my_set_config($1) FROM t',
      'INSERT INTO audit (setter, onset) VALUES ($1, $2)',
    ];
    for (const text of skipped) {
      expect(facts(text), text).toEqual({ writes: false, begins: false, rowSecurity: false });
      expect([mayWriteSetting(text), mayStartTransaction(text), mayChangeRowSecurity(text)], text).toEqual([false, false, false]);
    }
  });

  it('let through text that only looks like it (strings, comments, other statements): the AST decides', () => {
    for (const text of ["SELECT 'set_config' AS name", '-- SET x = 1\nSELECT 1', 'UPDATE users SET name = $1', 'SELECT "set" FROM t']) {
      expect(mayWriteSetting(text), text).toBe(true);
      expect(facts(text)?.writes, text).toBe(false);
    }
    expect(mayStartTransaction("SELECT 'begin'")).toBe(true);
    expect(mayChangeRowSecurity('SELECT security FROM t')).toBe(true);
  });

  it('match whole words in any ASCII case, with digits and `$` allowed before one', () => {
    expect(hasWord('SET x = 1', 'set')).toBe(true);
    expect(hasWord('sEt', 'set')).toBe(true);
    expect(hasWord('x;set', 'set')).toBe(true);
    expect(hasWord('"set"', 'set')).toBe(true);
    expect(hasWord('/**/SeT/**/', 'set')).toBe(true);
    // `$1set` lexes as `$1 set`.
    expect(hasWord('SELECT $1set', 'set')).toBe(true);
    expect(hasWord('1set', 'set')).toBe(true);
    expect(hasWord('offset', 'set')).toBe(false);
    expect(hasWord('_set', 'set')).toBe(false);
    expect(hasWord('éset', 'set')).toBe(false);
    expect(hasWord('settings', 'set')).toBe(false);
    expect(hasWord('set1', 'set')).toBe(false);
    expect(hasWord('set$', 'set')).toBe(false);
    expect(hasWord('setß', 'set')).toBe(false);
    expect(hasWord('se', 'set')).toBe(false);
    expect(hasWord('', 'set')).toBe(false);
  });
});

// The rules themselves: findings in text spelled so that a careless filter would skip it.
const ruleTester = new RuleTester();

ruleTester.run('tenant-context-transaction-local (pre-filter)', tenantContextTransactionLocal, {
  valid: [
    // A BEGIN spelled oddly still counts: the write after it is inside the transaction.
    "const client = await pool.connect(); await client.query('bEgIn'); await client.query(\"SeT/**/LOCAL app.current_tenant = '1'\");",
    "const client = await pool.connect(); await client.query('/* open */start\\n-- now\\ntransaction'); await client.query(\"SELECT set_config('app.current_tenant', $1, true)\", [id]);",
  ],
  invalid: [
    {
      code: "await pool.query(\"sEt/**/app.current_tenant = '42'\");",
      errors: [
        {
          messageId: 'sessionLevel',
          // On the pool, outside a transaction: made transaction-local it would end with its own statement.
          suggestions: [],
        },
      ],
    },
    {
      code: "await pool.query('SELECT pg_catalog.\"SET_CONFIG\"(\\'x\\', \\'y\\', true); SELECT \"pg_catalog\".\"set_config\"(\\'app.current_tenant\\', $1, false)', [id]);",
      errors: [{ messageId: 'sessionLevel', suggestions: [] }],
    },
    {
      code: "await pool.query('SELECT U&\"\\\\0073et_config\"(\\'app.current_tenant\\', $1, false)', [id]);",
      errors: [
        {
          messageId: 'sessionLevel',
          suggestions: [],
        },
      ],
    },
    {
      code: "await pool.query('SELECT 1;SET\\tLOCAL app.current_tenant = 1');",
      errors: [{ messageId: 'outsideTransaction' }],
    },
  ],
});

ruleTester.run('no-interpolated-tenant-context (pre-filter)', noInterpolatedTenantContext, {
  valid: [],
  invalid: [
    {
      code: "await pool.query(`SELECT U&\"!0073et_config\" UESCAPE '!'('app.current_tenant', '${tenantId}', true)`);",
      errors: [
        {
          messageId: 'interpolated',
          suggestions: [{ messageId: 'useSetConfig', output: 'await pool.query("SELECT set_config(\'app.current_tenant\', $1, true)", [tenantId]);' }],
        },
      ],
    },
    {
      code: 'await pool.query(`--x\nSeT LOCAL app.current_tenant = $1`, [tenantId]);',
      errors: [
        {
          messageId: 'bindParameterInSet',
          suggestions: [{ messageId: 'useSetConfig', output: 'await pool.query("SELECT set_config(\'app.current_tenant\', $1, true)", [tenantId]);' }],
        },
      ],
    },
  ],
});

ruleTester.run('no-rls-bypass-in-app (pre-filter)', noRlsBypassInApp, {
  valid: [],
  invalid: [
    { code: "await db.query('alter table orders disable row level\\n-- why\\nSeCuRiTy');", errors: [{ messageId: 'disableRls', suggestions: [{ messageId: 'removeCall', output: '' }] }] },
    { code: "await db.query('ALTER TABLE orders NO FORCE ROW LEVEL/**/SECURITY');", errors: [{ messageId: 'disableRls', suggestions: [{ messageId: 'removeCall', output: '' }] }] },
    { code: "await db.query('sEt rOlE admin');", errors: [{ messageId: 'setRole', suggestions: [{ messageId: 'removeCall', output: '' }] }] },
    { code: "await db.query('SELECT U&\"\\\\0073et_config\"(\\'role\\', \\'admin\\', false)');", errors: [{ messageId: 'setRole', suggestions: [{ messageId: 'removeCall', output: '' }] }] },
    { code: "await db.query('SELECT \"set_config\"(\\'row_security\\', \\'off\\', false)');", errors: [{ messageId: 'rowSecurityOff', suggestions: [{ messageId: 'removeCall', output: '' }] }] },
  ],
});
