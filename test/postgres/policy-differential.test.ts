/**
 * Generated differential test: policies built at random (fixed seed, so a failure reproduces) from
 * the pieces real projects combine — pins of every spelling, magic literals, empty and unset
 * fallbacks, bypass settings, row flags — under OR, AND, NOT and CASE, as one ALL policy or as
 * per-command policies. Each is applied to PostgreSQL and probed as the app role and as the owner
 * in every session state and command form (policy-harness.ts); check must report an error exactly
 * when PostgreSQL shows a leak.
 */
import { describe, expect, it } from 'vitest';
import { CTX, CTX_OK, judge, type Case } from './policy-harness.js';
import { random } from '../support/random.js';

const ATOMS = [
  `tenant_id = ${CTX}::uuid`,
  `tenant_id = ${CTX_OK}::uuid`,
  `tenant_id = nullif(${CTX_OK}, '')::uuid`,
  `tenant_id::text = ${CTX}`,
  `tenant_id::text = ${CTX_OK}`,
  `${CTX} = 'all'`,
  `${CTX_OK} = 'all'`,
  `${CTX} = ''`,
  `${CTX_OK} = ''`,
  `${CTX} IS NULL`,
  `${CTX_OK} IS NULL`,
  `${CTX_OK}::uuid IS NULL`,
  `nullif(${CTX}, '') IS NULL`,
  `current_setting('app.bypass', true) = 'on'`,
  `current_setting('app.bypass', true)::boolean`,
  'is_public',
  'true',
  'false',
  `tenant_id::text = 'all'`,
  `coalesce(${CTX_OK}, '') <> ''`,
];

function expression(rand: () => number, depth: number): string {
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const r = rand();
  if (depth >= 2 || r < 0.35) return pick(ATOMS);
  if (r < 0.65) return `(${expression(rand, depth + 1)} OR ${expression(rand, depth + 1)})`;
  if (r < 0.82) return `(${expression(rand, depth + 1)} AND ${expression(rand, depth + 1)})`;
  if (r < 0.9) return `NOT (${expression(rand, depth + 1)})`;
  return `(CASE WHEN ${expression(rand, depth + 1)} THEN ${expression(rand, depth + 1)} ELSE ${expression(rand, depth + 1)} END)`;
}

function generate(count: number, seed: number): Case[] {
  const rand = random(seed);
  const cases: Case[] = [];
  for (let i = 0; i < count; i++) {
    const shape = rand();
    let policies: string;
    if (shape < 0.5) policies = `CREATE POLICY p ON t TO app_user USING (${expression(rand, 0)});`;
    else if (shape < 0.75) policies = `CREATE POLICY p ON t TO app_user USING (${expression(rand, 0)}) WITH CHECK (${expression(rand, 0)});`;
    else {
      policies = [
        `CREATE POLICY s ON t FOR SELECT TO app_user USING (${expression(rand, 0)});`,
        `CREATE POLICY i ON t FOR INSERT TO app_user WITH CHECK (${expression(rand, 0)});`,
        `CREATE POLICY u ON t FOR UPDATE TO app_user USING (${expression(rand, 0)}) WITH CHECK (${expression(rand, 0)});`,
        `CREATE POLICY d ON t FOR DELETE TO app_user USING (${expression(rand, 0)});`,
      ].join('\n');
    }
    // Some TO PUBLIC, so they bind the owner (FORCE is on).
    if (rand() < 0.25) policies = policies.replaceAll(' TO app_user', '');
    cases.push({ name: `#${i}: ${policies.replace(/\s+/g, ' ')}`, policies, bypass: { 'app.bypass': ['on', 'off'] } });
  }
  return cases;
}

// More cases, or another seed, on demand: RLS_GUARD_DIFF_COUNT=500 RLS_GUARD_DIFF_SEED=7 npx vitest run test/postgres/policy-differential.test.ts
const CASES = generate(Number(process.env.RLS_GUARD_DIFF_COUNT ?? 60), Number(process.env.RLS_GUARD_DIFF_SEED ?? 20261203));

describe('generated policies: check agrees with PostgreSQL', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { observed, errors } = await judge(c);
    const detail = `observed on PostgreSQL: ${observed.length ? observed.slice(0, 4).join('; ') : 'no leak'} | check errors: ${errors.join(', ') || 'none'}`;
    expect(errors.length > 0, detail).toBe(observed.length > 0);
  });
});
