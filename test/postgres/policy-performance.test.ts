/**
 * What the opt-in performance rules claim, in PostgreSQL's plans (EXPLAIN as the app role):
 *
 * - policy-initplan: `user_id = auth.uid()` is evaluated in the row filter (auth.uid() inlined
 *   into current_setting() calls, per row); `user_id = (SELECT auth.uid())` is an InitPlan, run
 *   once, and the filter compares with its result. Both admit the same rows.
 * - multiple-permissive-policies: two permissive SELECT policies end up ORed in every row's filter.
 */
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { supabase } from '../../src/presets/supabase.js';
import { withScratchDatabase, type ScratchDatabase } from '../support/pg.js';
import { findings, lineOf } from './helpers.js';

const USER_A = '00000000-0000-0000-0000-0000000000a1';
const USER_B = '00000000-0000-0000-0000-0000000000b1';
const ON = { preset: 'supabase' as const, tenantColumns: ['user_id'], rules: { 'policy-initplan': 'warn' as const, 'multiple-permissive-policies': 'warn' as const } };

const notes = (policies: string) => `CREATE TABLE public.notes (
  id int PRIMARY KEY,
  user_id uuid NOT NULL,
  published boolean NOT NULL DEFAULT false
);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
${policies}`;

async function project(db: ScratchDatabase, sql: string): Promise<void> {
  await db.query(supabase.prelude);
  await db.query(sql);
  await db.query(`INSERT INTO public.notes (id, user_id, published) VALUES (1, '${USER_A}', false), (2, '${USER_B}', false), (3, '${USER_B}', true)`);
}

function asUser<T>(db: ScratchDatabase, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  return db.asRole('authenticated', { 'request.jwt.claims': JSON.stringify({ sub: USER_A, role: 'authenticated' }) }, fn);
}

const plan = async (c: pg.Client, sql: string): Promise<string> => (await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN (COSTS OFF) ${sql}`)).rows.map((r) => r['QUERY PLAN']).join('\n');
const ids = async (c: pg.Client): Promise<number[]> => (await c.query<{ id: number }>('SELECT id FROM public.notes ORDER BY id')).rows.map((r) => r.id);

describe('policy performance on PostgreSQL', () => {
  it('auth.uid() per row: reported, and evaluated in the row filter; (SELECT auth.uid()): not reported, an InitPlan; the same rows either way', async () => {
    const perRow = notes('CREATE POLICY own ON public.notes FOR SELECT TO authenticated USING (user_id = auth.uid());');
    const once = notes('CREATE POLICY own ON public.notes FOR SELECT TO authenticated USING (user_id = (SELECT auth.uid()));');
    expect(await findings('policy-initplan', perRow, ON)).toEqual([{ ruleId: 'policy-initplan', at: `001.sql:${lineOf(perRow, 'CREATE POLICY')}` }]);
    expect(await findings('policy-initplan', once, ON)).toEqual([]);
    const seen: Record<string, { plan: string; ids: number[] }> = {};
    for (const [name, sql] of Object.entries({ perRow, once })) {
      await withScratchDatabase(async (db) => {
        await project(db, sql);
        await asUser(db, async (c) => {
          seen[name] = { plan: await plan(c, 'SELECT id FROM public.notes'), ids: await ids(c) };
        });
      });
    }
    expect(seen.perRow!.plan).not.toContain('InitPlan');
    expect(seen.perRow!.plan).toMatch(/Filter: \(user_id = .*current_setting/);
    expect(seen.once!.plan).toContain('InitPlan');
    expect(seen.once!.plan).not.toMatch(/Filter: \(user_id = .*current_setting/);
    expect(seen.perRow!.ids).toEqual([1]);
    expect(seen.once!.ids).toEqual([1]);
  });

  it('two permissive SELECT policies: reported, and both predicates are in every row filter, ORed', async () => {
    const sql = notes(`CREATE POLICY own ON public.notes FOR SELECT TO authenticated USING (user_id = (SELECT auth.uid()));
CREATE POLICY published ON public.notes FOR SELECT TO authenticated USING (published);`);
    expect(await findings('multiple-permissive-policies', sql, ON)).toEqual([{ ruleId: 'multiple-permissive-policies', at: `001.sql:${lineOf(sql, 'CREATE POLICY published')}` }]);
    await withScratchDatabase(async (db) => {
      await project(db, sql);
      await asUser(db, async (c) => {
        // PostgreSQL 18 prints `(published OR (user_id = (InitPlan 1).col1))`; the order of the ORed policies is not promised.
        const filter = (await plan(c, 'SELECT id FROM public.notes')).split('\n').find((l) => l.trim().startsWith('Filter:'));
        expect(filter).toMatch(/published OR \(user_id = |\(user_id = .*\) OR published/);
        expect(await ids(c)).toEqual([1, 3]);
      });
    });
  });
});
