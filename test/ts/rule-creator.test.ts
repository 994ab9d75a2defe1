/** `createRule`: RuleCreator's rule (meta, docs URL), with the options handed over unmerged when the defaults are `[{}]`. */
import { ESLintUtils, type TSESLint } from '@typescript-eslint/utils';
import { describe, expect, it } from 'vitest';
import { createRule } from '../../src/app/rule-creator.js';
import { ruleDocsUrl } from '../../src/docs-url.js';

type Options = [{ names?: string[]; mode?: string }];

/** A rule recording the options its `create` received. */
function recordingRule(defaultOptions: Options, seen: unknown[]) {
  return {
    name: 'recording',
    meta: { type: 'problem' as const, docs: { description: 'records its options' }, messages: {}, schema: [{ type: 'object' as const }], defaultOptions },
    create(_context: unknown, options: Readonly<Options>) {
      seen.push(options);
      return {};
    },
  };
}

function contextWith(options: unknown[]): Readonly<TSESLint.RuleContext<never, Options>> {
  return { options } as unknown as Readonly<TSESLint.RuleContext<never, Options>>;
}

describe('createRule', () => {
  it('builds the same rule as RuleCreator, docs URL included', () => {
    const ours = createRule<Options, never>(recordingRule([{}], []));
    const theirs = ESLintUtils.RuleCreator(ruleDocsUrl)<Options, never>(recordingRule([{}], []));
    expect(Object.keys(ours)).toEqual(Object.keys(theirs));
    expect(ours.meta).toEqual(theirs.meta);
    expect(ours.meta.docs?.url).toBe(ruleDocsUrl('recording'));
    expect(ours.name).toBe('recording');
  });

  it('hands the options over as RuleCreator would, for defaults `[{}]`', () => {
    const seenOurs: unknown[] = [];
    const seenTheirs: unknown[] = [];
    const ours = createRule<Options, never>(recordingRule([{}], seenOurs));
    const theirs = ESLintUtils.RuleCreator(ruleDocsUrl)<Options, never>(recordingRule([{}], seenTheirs));
    for (const options of [[], [{}], [{ names: ['a'] }], [{ names: ['a'], mode: 'x' }]]) {
      ours.create(contextWith(options));
      theirs.create(contextWith(options));
    }
    expect(seenOurs).toEqual(seenTheirs);
  });

  it('keeps the deep merge for other defaults', () => {
    const seen: unknown[] = [];
    const rule = createRule<Options, never>(recordingRule([{ mode: 'strict' }], seen));
    rule.create(contextWith([{ names: ['a'] }]));
    expect(seen).toEqual([[{ mode: 'strict', names: ['a'] }]]);
  });
});
