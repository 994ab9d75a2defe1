/**
 * Baseline (`--baseline <file>`): adopt rls-guard on an existing codebase by accepting the
 * findings it has today and failing only on new ones. A finding is identified by a fingerprint
 * that survives unrelated edits: rule, object (`public.invoices`) and file path relative to the
 * baseline file's directory, never line numbers. `--update-baseline` rewrites the file; entries
 * that no longer occur are reported so the file only shrinks.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import type { Finding, Problem } from '../findings.js';

export const BASELINE_VERSION = 1;

export interface BaselineEntry {
  rule: string;
  object: string;
  /** Relative to the baseline file's directory, with `/` separators. */
  file: string;
  /** How many findings share this fingerprint. */
  count: number;
}

export interface Baseline {
  version: typeof BASELINE_VERSION;
  findings: BaselineEntry[];
}

/** The baseline file is missing or malformed. The CLI exits 2. */
export class BaselineError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = 'BaselineError';
  }
}

function fingerprintParts(finding: Finding, baselineDir: string): Omit<BaselineEntry, 'count'> {
  return {
    rule: finding.ruleId,
    // Every rule names its object; the message is a stable stand-in should one ever not.
    object: finding.object ?? finding.message,
    file: relative(baselineDir, finding.location.file).split(sep).join('/'),
  };
}

const key = (e: Omit<BaselineEntry, 'count'>): string => JSON.stringify([e.rule, e.object, e.file]);

export function loadBaseline(file: string): Baseline {
  if (!existsSync(file)) throw new BaselineError(`${file}: baseline file not found (create it with --update-baseline)`, file);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new BaselineError(`${file}: invalid JSON: ${(error as Error).message}`, file);
  }
  const d = data as Partial<Baseline> | null;
  if (!d || typeof d !== 'object' || d.version !== BASELINE_VERSION || !Array.isArray(d.findings)) {
    throw new BaselineError(`${file}: not an rls-guard baseline (expected {"version": ${BASELINE_VERSION}, "findings": [...]})`, file);
  }
  d.findings.forEach((e, i) => {
    const ok = e && typeof e.rule === 'string' && typeof e.object === 'string' && typeof e.file === 'string' && Number.isInteger(e.count) && e.count >= 1;
    if (!ok) throw new BaselineError(`${file}: findings[${i}] needs "rule", "object", "file" (strings) and "count" (a positive integer)`, file);
  });
  return d as Baseline;
}

/** The baseline of the given findings, in a stable order so the file diffs well. */
export function createBaseline(findings: readonly Problem[], baselineFile: string): Baseline {
  const dir = dirname(resolve(baselineFile));
  const counts = new Map<string, BaselineEntry>();
  for (const f of findings) {
    if (f.ruleId === null) continue; // suppression-comment problems are fixed, not baselined
    const parts = fingerprintParts(f, dir);
    const entry = counts.get(key(parts));
    if (entry) entry.count++;
    else counts.set(key(parts), { ...parts, count: 1 });
  }
  const entries = [...counts.values()].sort((a, b) => a.file.localeCompare(b.file) || a.rule.localeCompare(b.rule) || a.object.localeCompare(b.object));
  return { version: BASELINE_VERSION, findings: entries };
}

export function writeBaseline(file: string, baseline: Baseline): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(baseline, null, 2)}\n`);
}

export interface BaselineOutcome {
  /** Problems the baseline does not accept. */
  problems: Problem[];
  /** How many findings the baseline accepted. */
  accepted: number;
  /** Entries (with the count that no longer occurs) to delete from the baseline. */
  stale: BaselineEntry[];
}

export function applyBaseline(problems: readonly Problem[], baseline: Baseline, baselineFile: string): BaselineOutcome {
  const dir = dirname(resolve(baselineFile));
  const remaining = new Map<string, number>();
  for (const e of baseline.findings) remaining.set(key(e), (remaining.get(key(e)) ?? 0) + e.count);
  const kept: Problem[] = [];
  let accepted = 0;
  for (const p of problems) {
    if (p.ruleId !== null) {
      const k = key(fingerprintParts(p, dir));
      const left = remaining.get(k) ?? 0;
      if (left > 0) {
        remaining.set(k, left - 1);
        accepted++;
        continue;
      }
    }
    kept.push(p);
  }
  const stale: BaselineEntry[] = [];
  for (const e of baseline.findings) {
    const left = remaining.get(key(e)) ?? 0;
    if (left <= 0) continue;
    const count = Math.min(left, e.count);
    stale.push({ ...e, count });
    remaining.set(key(e), left - count);
  }
  return { problems: kept, accepted, stale };
}
