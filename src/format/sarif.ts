/**
 * `--format sarif`: SARIF 2.1.0 for GitHub code scanning (upload with
 * github/codeql-action/upload-sarif). One result per reported problem; `tool.driver.rules`
 * describes every rule with its docs page as `helpUri`.
 * https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
 * https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning
 */
import { isAbsolute, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPOSITORY_URL, ruleDocsUrl } from '../docs-url.js';
import type { Problem, Severity } from '../findings.js';
import { RULE_PREFIX } from '../findings.js';
import { PACKAGE_VERSION } from '../package-root.js';
import { reportPath } from './paths.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

/** The rule id under which problems with `rls-guard-ignore` comments (ruleId null elsewhere) are reported. */
export const DIRECTIVE_RULE_ID = 'rls-guard-ignore';

export interface RuleDescription {
  id: string;
  severity: Severity;
  description: string;
}

const level = (severity: Severity): 'error' | 'warning' => (severity === 2 ? 'error' : 'warning');

export function formatSarif(problems: readonly Problem[], options: { cwd: string; rules: readonly RuleDescription[] }): string {
  const rules = [
    ...options.rules.map((r) => ({
      id: `${RULE_PREFIX}${r.id}`,
      name: r.id,
      shortDescription: { text: r.description },
      fullDescription: { text: r.description },
      helpUri: ruleDocsUrl(r.id),
      help: { text: `${r.description} See ${ruleDocsUrl(r.id)}`, markdown: `${r.description}\n\n[Rule documentation](${ruleDocsUrl(r.id)})` },
      defaultConfiguration: { level: level(r.severity) },
      properties: { tags: ['security', 'postgresql', 'row-level-security'] },
    })),
    {
      id: DIRECTIVE_RULE_ID,
      name: DIRECTIVE_RULE_ID,
      shortDescription: { text: 'rls-guard-ignore comments must name a rule, give a reason and suppress something' },
      fullDescription: { text: 'A suppression comment without a reason suppresses nothing; one that suppresses nothing should be removed.' },
      helpUri: `${REPOSITORY_URL}/blob/main/docs/ci.md#suppression-comments`,
      defaultConfiguration: { level: 'warning' },
      properties: { tags: ['maintainability'] },
    },
  ];
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const results = problems.map((p) => {
    const ruleId = p.ruleId === null ? DIRECTIVE_RULE_ID : `${RULE_PREFIX}${p.ruleId}`;
    const { line, column, endLine, endColumn } = p.location;
    const nonEmpty = endLine > line || (endLine === line && endColumn > column);
    const rel = relative(options.cwd, p.location.file);
    const inside = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
    return {
      ruleId,
      ...(index.has(ruleId) ? { ruleIndex: index.get(ruleId)! } : {}),
      level: level(p.severity),
      message: { text: p.message },
      locations: [
        {
          physicalLocation: {
            artifactLocation: inside ? { uri: reportPath(p.location.file, options.cwd), uriBaseId: '%SRCROOT%' } : { uri: pathToFileURL(p.location.file).href },
            region: { startLine: line, startColumn: column, ...(nonEmpty ? { endLine, endColumn } : {}) },
          },
        },
      ],
    };
  });
  const sarif = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'rls-guard', version: PACKAGE_VERSION, semanticVersion: PACKAGE_VERSION, informationUri: REPOSITORY_URL, rules } },
        originalUriBaseIds: { '%SRCROOT%': { uri: pathToFileURL(options.cwd.endsWith('/') ? options.cwd : `${options.cwd}/`).href } },
        results,
      },
    ],
  };
  return JSON.stringify(sarif, null, 2);
}
