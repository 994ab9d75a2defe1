/** ESLint-compatible results (SPEC section 6): one entry per analyzed file. */
import type { Problem } from '../findings.js';
import { RULE_PREFIX } from '../findings.js';

export interface LintMessage {
  /** `rls-guard/<id>`, or null for a problem with a suppression comment (as ESLint reports its directives). */
  ruleId: string | null;
  severity: 1 | 2;
  message: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface LintResult {
  filePath: string;
  messages: LintMessage[];
  errorCount: number;
  warningCount: number;
  fatalErrorCount: number;
  fixableErrorCount: number;
  fixableWarningCount: number;
  suppressedMessages: LintMessage[];
  usedDeprecatedRules: unknown[];
  source?: string;
}

export function toLintResults(files: readonly string[], findings: readonly Problem[]): LintResult[] {
  const byFile = new Map<string, LintMessage[]>(files.map((f) => [f, []]));
  for (const f of findings) {
    const messages = byFile.get(f.location.file) ?? [];
    messages.push({
      ruleId: f.ruleId === null ? null : `${RULE_PREFIX}${f.ruleId}`,
      severity: f.severity,
      message: f.message,
      line: f.location.line,
      column: f.location.column,
      endLine: f.location.endLine,
      endColumn: f.location.endColumn,
    });
    byFile.set(f.location.file, messages);
  }
  return [...byFile].map(([filePath, messages]) => {
    messages.sort((a, b) => a.line - b.line || a.column - b.column);
    return {
      filePath,
      messages,
      errorCount: messages.filter((m) => m.severity === 2).length,
      warningCount: messages.filter((m) => m.severity === 1).length,
      fatalErrorCount: 0,
      fixableErrorCount: 0,
      fixableWarningCount: 0,
      suppressedMessages: [],
      usedDeprecatedRules: [],
    };
  });
}
