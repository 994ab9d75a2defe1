/**
 * security-definer-narrow's error: a SECURITY DEFINER function that EXECUTEs SQL built from its
 * argument runs the caller's text with its owner's rights, past RLS. The shape is a real one
 * (a "delete this object" helper callable by PUBLIC): the app, set to tenant A, deletes tenant B's
 * rows through it. Passing the value with USING is the fix, and the same attack then fails.
 */
import { describe, expect, it } from 'vitest';
import { withScratchDatabase } from '../support/pg.js';
import { ROLES_SQL, TENANT_A, TENANT_B, allTenants, applyMigration, attempt, errors, findings, lineOf, safeTable, seedTwoTenants } from './helpers.js';

const RULE = 'security-definer-narrow';

const migration = (execute: string) => `${safeTable('notes')}
CREATE FUNCTION public.delete_note(note_id text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  ${execute}
END
$$;`;

const INJECTABLE = migration(`EXECUTE 'DELETE FROM public.notes WHERE id = ' || note_id || ' AND tenant_id = current_setting(''app.current_tenant'')::uuid';`);
const PARAMETERIZED = migration(`EXECUTE 'DELETE FROM public.notes WHERE id = $1 AND tenant_id = current_setting(''app.current_tenant'')::uuid' USING note_id::int;`);

/**
 * Applies `sql` as the superuser (the function's owner), then calls delete_note(arg) as the app for
 * tenant A; the tenants whose rows are left, as the superuser sees them in the same transaction.
 */
async function attack(sql: string, arg: string): Promise<{ call: string; left: string[] }> {
  return withScratchDatabase(async (db) => {
    await db.query(ROLES_SQL);
    await applyMigration(db, sql);
    await seedTwoTenants(db, 'notes');
    return db.asRole('app_user', { 'app.current_tenant': TENANT_A }, async (c) => {
      const call = (await attempt(c, 'SELECT public.delete_note($1)', [arg])).code;
      return { call, left: await allTenants(c, 'notes') };
    });
  });
}

describe(`${RULE}: SQL built from an argument`, () => {
  it('is an error at the function, and the app deletes the other tenant\'s row through it', async () => {
    expect(await findings(RULE, INJECTABLE)).toEqual([{ ruleId: RULE, at: `001.sql:${lineOf(INJECTABLE, 'CREATE FUNCTION')}` }]);
    expect(await errors(INJECTABLE)).toEqual([`${RULE}@001.sql:${lineOf(INJECTABLE, 'CREATE FUNCTION')}`]);
    // Its own row, as intended.
    expect(await attack(INJECTABLE, '1')).toEqual({ call: 'ok', left: [TENANT_B] });
    // "2 OR true --" comments out the tenant condition: tenant B's row goes too.
    expect(await attack(INJECTABLE, '2 OR true --')).toEqual({ call: 'ok', left: [] });
  });

  it('with the value passed by USING there is no error, and the same attack fails', async () => {
    expect(await errors(PARAMETERIZED)).toEqual([]);
    // Still a warning: EXECUTE is not revoked from PUBLIC.
    expect((await findings(RULE, PARAMETERIZED)).length).toBe(1);
    expect(await attack(PARAMETERIZED, '2 OR true --')).toEqual({ call: '22P02', left: [TENANT_A, TENANT_B] });
    expect(await attack(PARAMETERIZED, '2')).toEqual({ call: 'ok', left: [TENANT_A, TENANT_B] });
    expect(await attack(PARAMETERIZED, '1')).toEqual({ call: 'ok', left: [TENANT_B] });
  });
});
