import { beforeAll, describe, expect, it } from 'vitest';
import { constantArray, constantText, quoteIdent } from '../../src/sql/constant-text.js';
import { loadSqlParser, parseFragment, type AstNode } from '../../src/sql/parse.js';

const expr = (sql: string): AstNode => parseFragment(`SELECT ${sql}`)![0]!.SelectStmt.targetList[0].ResTarget.val as AstNode;

beforeAll(loadSqlParser);

describe('constant text of an EXECUTE', () => {
  it.each([
    ["format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t)", { t: 'invoices' }, 'ALTER TABLE invoices ENABLE ROW LEVEL SECURITY'],
    ["format('ALTER TABLE %I.%I', 'public', t)", { t: 'Line Items' }, 'ALTER TABLE public."Line Items"'],
    ["format('%I', t)", { t: 'select' }, '"select"'],
    ["format('%1$I %1$I %2$L %%', t, 'it''s')", { t: 'a' }, "a a 'it''s' %"],
    ["'ALTER TABLE ' || quote_ident(r.name) || ' FORCE ROW LEVEL SECURITY'", { 'r.name': 'x"y' }, 'ALTER TABLE "x""y" FORCE ROW LEVEL SECURITY'],
    ["format('%s', t::text)", { t: 'orders' }, 'orders'],
    ["quote_literal(t)", { t: 'a\\b' }, "E'a\\\\b'"],
  ])('%s', (sql, bindings, text) => {
    expect(constantText(expr(sql), new Map(Object.entries(bindings)))).toBe(text);
  });

  it.each([
    ["format('ALTER TABLE %I', t)", {}], // t is unknown
    ["format('%-10s', t)", { t: 'a' }], // widths are not folded
    ['upper(t)', { t: 'a' }],
    ["format('%I', NULL)", {}],
    ["t || now()", { t: 'a' }],
  ])('%s is not constant', (sql, bindings) => {
    expect(constantText(expr(sql), new Map(Object.entries(bindings)))).toBeNull();
  });

  it('reads constant arrays, and nothing else', () => {
    expect(constantArray(expr("ARRAY['a', 'b']"))).toEqual(['a', 'b']);
    expect(constantArray(expr("'{a, \"b c\",d}'::text[]"))).toEqual(['a', 'b c', 'd']);
    expect(constantArray(expr("'{}'::text[]"))).toEqual([]);
    expect(constantArray(expr("'{a,NULL}'::text[]"))).toBeNull();
    expect(constantArray(expr("'{{a},{b}}'::text[]"))).toBeNull();
    expect(constantArray(expr("ARRAY[t]"))).toBeNull();
    expect(constantArray(expr("'{a}'::text"))).toBeNull();
  });

  it('quotes identifiers as quote_ident does', () => {
    expect(quoteIdent('invoices')).toBe('invoices');
    expect(quoteIdent('Invoices')).toBe('"Invoices"');
    expect(quoteIdent('user')).toBe('"user"');
    expect(quoteIdent('1abc')).toBe('"1abc"');
  });
});
