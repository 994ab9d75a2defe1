/** The app rules as shipped: ids, docs pages, documented options, and their severities in the configs. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ruleDocsUrl } from '../../src/docs-url.js';
import { tsRecommended, tsRules, tsStrict } from '../../rules/ts/index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('app-code rules', () => {
  it('are the six of SPEC section 5, all errors in recommended and strict', () => {
    const ids = ['no-unscoped-query', 'no-libpq-options', 'no-owner-database-url', 'tenant-context-transaction-local', 'no-interpolated-tenant-context', 'no-rls-bypass-in-app'];
    expect(Object.keys(tsRules).sort()).toEqual([...ids].sort());
    expect(tsRecommended).toEqual(Object.fromEntries(ids.map((id) => [id, 'error'])));
    expect(tsStrict).toEqual(Object.fromEntries(ids.map((id) => [id, 'error'])));
  });

  for (const [id, rule] of Object.entries(tsRules)) {
    it(`${id}: derived docs URL, a docs page, and a description on every option`, () => {
      expect(rule.meta.docs?.url).toBe(ruleDocsUrl(id));
      expect(existsSync(path.join(repoRoot, 'docs', 'rules', `${id}.md`))).toBe(true);
      const schema = (rule.meta.schema as unknown as { properties?: Record<string, { description?: string }> }[])[0]!;
      const options = Object.entries(schema.properties ?? {});
      expect(options.length).toBeGreaterThan(0);
      for (const [name, option] of options) expect(option.description, `${id} option ${name}`).toMatch(/\S/);
    });
  }
});
