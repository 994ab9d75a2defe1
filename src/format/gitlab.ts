/**
 * `--format gitlab`: a GitLab Code Quality report (a subset of the Code Climate issue format),
 * published with `artifacts: reports: codequality`. GitLab compares reports between branches by
 * `fingerprint`, so it is built like the baseline's: rule, object and path, never line numbers
 * (with an occurrence number for duplicates).
 * https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format
 */
import { createHash } from 'node:crypto';
import type { Problem } from '../findings.js';
import { RULE_PREFIX } from '../findings.js';
import { reportPath } from './paths.js';
import { DIRECTIVE_RULE_ID } from './sarif.js';

export interface CodeQualityIssue {
  type: 'issue';
  description: string;
  check_name: string;
  fingerprint: string;
  severity: 'critical' | 'minor';
  categories: string[];
  location: { path: string; lines: { begin: number; end: number } };
}

export function toCodeQuality(problems: readonly Problem[], options: { cwd: string }): CodeQualityIssue[] {
  const seen = new Map<string, number>();
  return problems.map((p) => {
    const path = reportPath(p.location.file, options.cwd);
    const check = p.ruleId === null ? DIRECTIVE_RULE_ID : `${RULE_PREFIX}${p.ruleId}`;
    const identity = p.ruleId === null ? [check, path, p.message] : [check, path, p.object ?? p.message];
    const key = JSON.stringify(identity);
    const occurrence = seen.get(key) ?? 0;
    seen.set(key, occurrence + 1);
    return {
      type: 'issue',
      description: p.message,
      check_name: check,
      fingerprint: createHash('sha256').update(JSON.stringify([...identity, occurrence])).digest('hex'),
      severity: p.severity === 2 ? 'critical' : 'minor',
      categories: p.ruleId === null ? ['Style'] : ['Security'],
      location: { path, lines: { begin: p.location.line, end: p.location.endLine } },
    };
  });
}

export function formatGitlab(problems: readonly Problem[], options: { cwd: string }): string {
  return JSON.stringify(toCodeQuality(problems, options), null, 2);
}
