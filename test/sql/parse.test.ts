/**
 * The script parser: statements with exact 1-based locations (leading comments skipped, columns in
 * characters even after non-ASCII text), psql syntax accepted, and one bad statement costing only
 * itself.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { keptStatements, keptStatementsJson, loadSqlParser, parseFragment, parseFragments, parseScript, scriptFromKeptJson } from '../../src/sql/parse.js';

beforeAll(async () => {
  await loadSqlParser();
});

/** Each statement as `Kind@line:column`, each error as `error@line:column`. */
function outline(text: string): { statements: string[]; errors: string[] } {
  const script = parseScript(text);
  const at = (offset: number) => {
    const p = script.source.position(offset);
    return `${p.line}:${p.column}`;
  };
  return {
    statements: script.statements.map((s) => `${s.kind}@${at(s.start)}`),
    errors: script.errors.map((e) => `error@${at(e.offset)}`),
  };
}

describe('parseScript', () => {
  describe('locations', () => {
    it('statements start at their first token, after leading comments and blank lines', () => {
      expect(outline('-- a comment\n/* a block\n   comment */\n\nCREATE TABLE a (id int);\n    SELECT 1;')).toEqual({
        statements: ['CreateStmt@5:1', 'SelectStmt@6:5'],
        errors: [],
      });
    });

    it('two statements on one line', () => {
      expect(outline('SELECT 1; SELECT 2;')).toEqual({ statements: ['SelectStmt@1:1', 'SelectStmt@1:11'], errors: [] });
    });

    it('a statement ends before its semicolon', () => {
      const script = parseScript('CREATE TABLE a (id int);\nSELECT 1');
      expect(script.statements.map((s) => script.source.text.slice(s.start, s.end))).toEqual(['CREATE TABLE a (id int)', 'SELECT 1']);
    });

    it('non-ASCII comments before a statement keep the column in characters', () => {
      expect(outline('-- café ñ 日本\nSELECT 1; /* ü */ SELECT 2;')).toEqual({ statements: ['SelectStmt@2:1', 'SelectStmt@2:19'], errors: [] });
    });

    it('non-ASCII identifiers and astral characters before a statement', () => {
      expect(outline('CREATE TABLE "Öl😀" (straße int); SELECT 1;')).toEqual({ statements: ['CreateStmt@1:1', 'SelectStmt@1:35'], errors: [] });
    });

    it('a syntax error after non-ASCII text is located in characters', () => {
      expect(outline("/* é */ SELEC 1;\nSELECT 2;")).toEqual({ statements: ['SelectStmt@2:1'], errors: ['error@1:9'] });
    });
  });

  describe('psql', () => {
    it('meta-commands are skipped: \\set, \\echo, \\i, \\connect', () => {
      expect(outline('\\set ON_ERROR_STOP on\nCREATE TABLE a (id int);\n\\echo creating\n\\i other.sql\n\\connect tenantdb\nSELECT 1;')).toEqual({
        statements: ['CreateStmt@2:1', 'SelectStmt@6:1'],
        errors: [],
      });
    });

    it("variables :name, :'name' and :\"name\" are not syntax errors", () => {
      expect(outline('SELECT :limit;\nSELECT * FROM t WHERE tenant_id = :\'tenant\';\nSELECT :"column" FROM t;')).toEqual({
        statements: ['SelectStmt@1:1', 'SelectStmt@2:1', 'SelectStmt@3:1'],
        errors: [],
      });
    });

    it('variables do not shift the locations of a later syntax error', () => {
      expect(outline("SELECT :'tenant';\nSELEC 1;\nSELECT :limit;")).toEqual({ statements: ['SelectStmt@1:1', 'SelectStmt@3:1'], errors: ['error@2:1'] });
    });

    it('COPY ... FROM stdin data lines are not SQL', () => {
      expect(outline('COPY t (a, b) FROM stdin;\n1\tx;y\n2\t(z\n\\.\nSELECT 1;')).toEqual({ statements: ['CopyStmt@1:1', 'SelectStmt@5:1'], errors: [] });
    });
  });

  describe('bodies', () => {
    it('dollar quotes with tags hide semicolons and $$', () => {
      expect(outline("CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $body$ SELECT 'a;'; $$ not the end $$ $body$;\nSELECT 2;")).toEqual({
        statements: ['CreateFunctionStmt@1:1', 'SelectStmt@2:1'],
        errors: [],
      });
    });

    it('BEGIN ATOMIC bodies hold their own semicolons', () => {
      expect(outline('CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  SELECT 2;\nEND;\nSELECT 3;')).toEqual({
        statements: ['CreateFunctionStmt@1:1', 'SelectStmt@6:1'],
        errors: [],
      });
    });

    it('BEGIN ATOMIC bodies next to a syntax error', () => {
      expect(outline('SELEC 0;\nCREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\nSELECT 3;')).toEqual({
        statements: ['CreateFunctionStmt@2:1', 'SelectStmt@3:1'],
        errors: ['error@1:1'],
      });
    });

    it('DO blocks', () => {
      expect(outline("DO $do$ BEGIN RAISE NOTICE 'a;b'; END $do$;\nSELECT 1;")).toEqual({ statements: ['DoStmt@1:1', 'SelectStmt@2:1'], errors: [] });
    });
  });

  describe('errors', () => {
    it('a syntax error in the middle: its location, and the statements around it still parsed', () => {
      expect(outline('CREATE TABLE a (id int);\nCREATE TABLE x (id int,);\nCREATE TABLE b (id int);')).toEqual({
        statements: ['CreateStmt@1:1', 'CreateStmt@3:1'],
        errors: ['error@2:24'],
      });
    });

    it('the message is PostgreSQL\'s', () => {
      expect(parseScript('SELECT 1;\nSELEC 2;').errors.map((e) => e.message)).toEqual(['syntax error at or near "SELEC"']);
    });

    it('an unterminated quote: error at the quote, earlier statements kept', () => {
      const script = parseScript("SELECT 1;\nSELECT 'abc;\nSELECT 2;");
      expect(outline("SELECT 1;\nSELECT 'abc;\nSELECT 2;")).toEqual({ statements: ['SelectStmt@1:1'], errors: ['error@2:8'] });
      expect(script.errors[0]!.message).toContain('unterminated quoted string');
    });

    it('an unterminated block comment', () => {
      expect(outline('SELECT 1;\n/* never closed\nSELECT 2;')).toEqual({ statements: ['SelectStmt@1:1'], errors: ['error@2:1'] });
    });

    it('an empty script', () => {
      expect(outline('')).toEqual({ statements: [], errors: [] });
    });
  });
});

describe('parseScript keeping some statement kinds', () => {
  const keep = new Set(['CreateStmt', 'CreatePolicyStmt', 'CreateFunctionStmt', 'SelectStmt', 'CreateSchemaStmt', 'RuleStmt']);
  const scripts = {
    'kept and dropped statements interleaved': `CREATE TABLE a (tenant_id uuid NOT NULL);
CREATE INDEX a_idx ON a (tenant_id);
INSERT INTO a VALUES ('00000000-0000-0000-0000-000000000001'), ('00000000-0000-0000-0000-000000000002');
CREATE POLICY p ON a USING (tenant_id = current_setting('app.current_tenant')::uuid);
UPDATE a SET tenant_id = tenant_id;
SELECT set_config('app.current_tenant', 'x', false);`,
    'text that looks like the JSON a statement starts with': `COMMENT ON TABLE a IS '{"stmt":{"CreateStmt":{}}}';
CREATE TABLE "{""stmt"":{""x" (id int);
INSERT INTO a VALUES ('},{"stmt":{"SelectStmt":');
SELECT '{"stmt":{"' AS x;`,
    'statements that hold statements': `CREATE SCHEMA s CREATE TABLE s.t (id int) CREATE VIEW s.v AS SELECT 1;
CREATE RULE r AS ON INSERT TO a DO ALSO (INSERT INTO b VALUES (1); DELETE FROM c);
CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;
EXPLAIN SELECT 1;
CREATE TABLE z AS SELECT 1 AS x;`,
    'non-ASCII text (byte offsets)': `COMMENT ON TABLE a IS 'Ünïcödé — 日本語 🎉';\nCREATE TABLE café (tenant_id uuid NOT NULL);\nINSERT INTO café VALUES (NULL);\nSELECT 'é';`,
    'a syntax error among kept statements': `CREATE TABLE ok (id int);\nINSERT INTO ok VALUES (;\nSELECT 1;`,
    'nothing kept': `INSERT INTO a VALUES (1);\nANALYZE a;`,
  };

  it.each(Object.entries(scripts))('%s: exactly the kept statements of a full parse', (_, text) => {
    const full = parseScript(text);
    const kept = parseScript(text, keep);
    expect(kept.errors).toEqual(full.errors);
    expect(kept.statements).toEqual(full.statements.filter((s) => keep.has(s.kind)));
  });

  it('parses the whole tree when a statement holds a nested `stmt` field (the cut would be wrong)', () => {
    const nested = { stmt: { SelectStmt: { inner: { stmt: { InsertStmt: { x: 1 } } }, y: 2 } }, stmt_len: 5 };
    const other = { stmt: { CreateStmt: { z: 3 } }, stmt_location: 6, stmt_len: 4 };
    const json = Buffer.from(JSON.stringify({ version: 180004, stmts: [nested, other] }));
    expect(keptStatements(json, keep)).toEqual({ stmts: [nested, other] });
    expect(keptStatements(json, new Set(['CreateStmt']))).toEqual({ stmts: [other] });
  });

  it('hands a worker the kept statements as JSON text that the main thread turns into the same script', () => {
    for (const text of Object.values(scripts)) {
      const json = keptStatementsJson(text, keep);
      const direct = parseScript(text, keep);
      if (direct.errors.length > 0) {
        expect(json).toBeNull();
        continue;
      }
      expect(scriptFromKeptJson(text, json!, keep)).toEqual(direct);
    }
  });

  it('parses on the main thread when the JSON a worker sent does not hold the kept statements', () => {
    const text = scripts['kept and dropped statements interleaved'];
    const direct = parseScript(text, keep);
    expect(scriptFromKeptJson(text, '[{"stmt":{"SelectStmt":', keep)).toEqual(direct);
    expect(scriptFromKeptJson(text, '[{"stmt":{"InsertStmt":{}},"stmt_len":3}]', keep)).toEqual(direct);
  });

  it('drops statements of other kinds', () => {
    const kept = parseScript(scripts['kept and dropped statements interleaved'], keep);
    expect(kept.statements.map((s) => s.kind)).toEqual(['CreateStmt', 'CreatePolicyStmt', 'SelectStmt']);
  });
});

describe('parseFragments', () => {
  /** The statements' structure, without locations (they are offsets into the joined text). */
  const shape = (trees: unknown) => JSON.parse(JSON.stringify(trees, (key, value) => (key === 'location' || key === 'stmt_location' ? undefined : value)));

  it.each([
    ['statements and expressions', ['SELECT x.id FROM public.t x WHERE x.tenant_id = p', 'SELECT n + 1', 'UPDATE t SET a = 1']],
    ['a trailing line comment', ['SELECT 1 -- one', 'SELECT 2']],
    ['one fragment that does not parse', ['SELECT 1', 'SELECT FROM WHERE', 'SELECT 3']],
    ['a stray quote that would swallow the next fragment', ["SELECT 'a", "SELECT b'", 'SELECT 3']],
    ['an empty fragment', ['SELECT 1', '', 'SELECT 2']],
    ['a single fragment', ['SELECT 1']],
  ])('%s: what parsing each fragment alone gives', (_, fragments) => {
    expect(shape(parseFragments(fragments))).toEqual(shape(fragments.map(parseFragment)));
  });
});
