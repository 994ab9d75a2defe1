/**
 * The SQL rules as ESLint rules for the `rls-guard/sql` language. One implementation: each rule
 * reports the findings the analyzer attributes to the linted file for that rule id, computed from
 * the file's whole migration history (so `eslint` and `rls-guard check` agree).
 */
import { ruleDocsUrl } from '../docs-url.js';
import type { SqlRule } from '../rule.js';
import { sqlRules } from '../../rules/sql/index.js';
import { analysisForFile } from './history.js';

interface SqlRuleContextLike {
  physicalFilename: string;
  filename: string;
  sourceCode: { text: string; getIndexFromLoc(loc: { line: number; column: number }): number };
  report(descriptor: {
    loc: { start: { line: number; column: number }; end: { line: number; column: number } };
    messageId: string;
    data: Record<string, string>;
    suggest?: { messageId: string; data: Record<string, string>; fix(fixer: Fixer): unknown[] }[];
  }): void;
}

interface Fixer {
  replaceTextRange(range: [number, number], text: string): unknown;
}

// Every SQL rule runs on the same SourceCode in one lint pass: look the history up once per pass.
const perLint = new WeakMap<object, ReturnType<typeof analysisForFile>>();

function analysisFor(context: SqlRuleContextLike): ReturnType<typeof analysisForFile> {
  let result = perLint.get(context.sourceCode);
  if (!result) {
    result = analysisForFile(context.physicalFilename || context.filename, context.sourceCode.text);
    perLint.set(context.sourceCode, result);
  }
  return result;
}

function toEslintRule(rule: SqlRule) {
  return {
    meta: {
      type: 'problem' as const,
      language: 'rls-guard/sql',
      languages: ['rls-guard/sql'],
      docs: { description: rule.description, url: ruleDocsUrl(rule.id), recommended: !rule.optIn },
      messages: { finding: '{{message}}', suggestion: '{{description}}' },
      hasSuggestions: rule.hasSuggestions ?? false,
      schema: [],
    },
    create(context: SqlRuleContextLike) {
      return {
        Script() {
          const { analysis, file } = analysisFor(context);
          for (const finding of analysis.findings) {
            if (finding.ruleId !== rule.id || finding.location.file !== file) continue;
            const { line, column, endLine, endColumn } = finding.location;
            const suggest = (finding.suggestions ?? []).map((s) => ({
              messageId: 'suggestion',
              data: { description: s.description },
              fix: (fixer: Fixer) => s.edits.map((e) => fixer.replaceTextRange([context.sourceCode.getIndexFromLoc(e.start), context.sourceCode.getIndexFromLoc(e.end)], e.text)),
            }));
            context.report({ loc: { start: { line, column }, end: { line: endLine, column: endColumn } }, messageId: 'finding', data: { message: finding.message }, ...(suggest.length > 0 ? { suggest } : {}) });
          }
          if (rule.id !== 'parse-error') return;
          // `rls-guard check` reports these at their own path; ESLint cannot lint what cannot be
          // read, so each file replayed without them says so (one message per unread path).
          for (const problem of analysisFor(context).historyProblems) {
            const message = `The migration history of this file is incomplete: ${problem.path} was not checked: ${problem.reason}. The findings here are computed without it; rls-guard check reports it too.`;
            context.report({ loc: { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } }, messageId: 'finding', data: { message } });
          }
        },
      };
    },
  };
}

export const sqlEslintRules = Object.fromEntries(sqlRules.map((r) => [r.id, toEslintRule(r)]));

/** Every SQL rule at its default severity, opt-in rules (policy performance) aside. */
export const sqlRecommended: Record<string, 'error' | 'warn'> = Object.fromEntries(sqlRules.filter((r) => !r.optIn).map((r) => [`rls-guard/${r.id}`, r.severity === 2 ? 'error' : 'warn']));

/** Every SQL rule, opt-in ones included, as an error (`configs.strict`). */
export const sqlStrict: Record<string, 'error'> = Object.fromEntries(sqlRules.map((r) => [`rls-guard/${r.id}`, 'error' as const]));
