/**
 * src/sql/pg-parser.ts calls libpg-query's WASM functions directly (cheaper string copies): it
 * must give exactly what libpg-query's own parseSync / parsePlPgSQLSync give.
 */
import { loadModule, parsePlPgSQLSync, parseSync } from 'libpg-query';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPgParser, parsePlpgsqlToJson, parseToJson } from '../../src/sql/pg-parser.js';

beforeAll(async () => {
  await Promise.all([loadModule(), loadPgParser()]);
});

function reference(text: string): unknown {
  try {
    return { tree: parseSync(text) };
  } catch (error) {
    const e = error as { message: string; sqlDetails?: { cursorPosition?: number } };
    return { error: { message: e.message, cursor: e.sqlDetails?.cursorPosition ?? 0 } };
  }
}

function ours(text: string): unknown {
  const parsed = parseToJson(text);
  return 'json' in parsed ? { tree: JSON.parse(parsed.json) } : { error: parsed.error };
}

describe('pg-parser', () => {
  it.each([
    ['one statement', 'SELECT 1'],
    ['several statements', 'CREATE TABLE t (id int, tenant_id uuid NOT NULL);\nALTER TABLE t ENABLE ROW LEVEL SECURITY;\n'],
    ['non-ASCII text before a statement (byte offsets)', "COMMENT ON TABLE t IS 'Ünïcödé — 日本語 🎉';\nCREATE POLICY p ON t USING (tenant_id = current_setting('app.current_tenant')::uuid);"],
    ['a syntax error', 'SELECT FROM WHERE;'],
    ['a syntax error after non-ASCII text', "SELECT 'é😀';\nCREATE TABLE (;"],
    ['an unterminated string', "SELECT 'abc"],
    ['a comment only', '-- nothing here'],
  ])('parses %s exactly as libpg-query does', (_, text) => {
    expect(ours(text)).toEqual(reference(text));
  });

  it('reads results correctly when a large text makes WASM memory grow', () => {
    const statement = "INSERT INTO t (id, note) VALUES (1, 'ñ padding padding padding padding');\n";
    const text = statement.repeat(40_000);
    const parsed = ours(text) as { tree: { stmts: unknown[] } };
    expect(parsed.tree.stmts).toHaveLength(40_000);
    expect(parsed).toEqual(reference(text));
    // Still correct afterwards, through the grown memory.
    expect(ours('SELECT 2')).toEqual(reference('SELECT 2'));
  });

  it('parses PL/pgSQL as libpg-query does, and null where it throws', () => {
    const fn = `CREATE FUNCTION f(t uuid) RETURNS int LANGUAGE plpgsql AS $$
DECLARE n int := 0;
BEGIN
  SELECT count(*) INTO n FROM docs WHERE tenant_id = t; -- café
  EXECUTE format('SELECT %s', n);
  RETURN n;
END $$;`;
    expect(JSON.parse(parsePlpgsqlToJson(fn)!)).toEqual(parsePlPgSQLSync(fn));
    const broken = 'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN; END IF; $$;';
    expect(() => parsePlPgSQLSync(broken)).toThrow();
    expect(parsePlpgsqlToJson(broken)).toBeNull();
  });
});
