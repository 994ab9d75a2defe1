/**
 * A realistic, deterministic multi-tenant migration history for benchmarks: tables with tenant
 * columns, indexes, RLS and FORCE, policies, PL/pgSQL functions (some SECURITY DEFINER), grants,
 * data fixes and comments. About 13-14 statements per file.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * `definerInEveryFile`: also add a SECURITY DEFINER PL/pgSQL function to every migration (the
 * case where rls-guard's body analysis, which squawk does not do, weighs most).
 */
export function generateHistory(dir, { files = 2000, seed = 42, definerInEveryFile = false } = {}) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const random = rng(seed);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const tables = [];
  let statements = 0;
  for (let i = 1; i <= files; i++) {
    const out = [`-- Migration ${i}: generated for the rls-guard benchmark.`];
    const add = (sql) => {
      out.push(sql);
      statements++;
    };
    const t = `t_${i}`;
    tables.push(t);
    add(`CREATE TABLE ${t} (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  tenant_id uuid NOT NULL,\n  name text NOT NULL,\n  amount_cents bigint NOT NULL DEFAULT 0,\n  created_at timestamptz NOT NULL DEFAULT now()\n);`);
    add(`CREATE INDEX ${t}_tenant_idx ON ${t} (tenant_id, created_at DESC);`);
    add(`COMMENT ON TABLE ${t} IS 'Tenant data set ${i}';`);
    add(`ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY;`);
    if (random() < 0.9) add(`ALTER TABLE ${t} FORCE ROW LEVEL SECURITY;`);
    const check = random() < 0.95 ? `\n  WITH CHECK (tenant_id = current_setting('app.current_tenant', true)::uuid)` : '';
    add(`CREATE POLICY ${t}_tenant ON ${t}\n  USING (tenant_id = (SELECT current_setting('app.current_tenant', true)::uuid))${check};`);
    add(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${t} TO app_user;`);
    add(`ALTER TABLE ${t} ADD COLUMN note_${i % 7} text;`);
    add(`UPDATE ${t} SET name = upper(name) WHERE created_at < now() - interval '${(i % 30) + 1} days';`);
    add(`INSERT INTO ${t} (tenant_id, name) SELECT id, 'seed' FROM tenants WHERE slug LIKE '${pick(['a', 'b', 'c'])}%';`);
    if (i % 3 === 0) {
      const other = pick(tables);
      const definer = i % 9 === 0 ? 'SECURITY DEFINER SET search_path = pg_catalog, pg_temp' : 'SECURITY INVOKER';
      add(`CREATE OR REPLACE FUNCTION ${t}_total(p_tenant uuid) RETURNS bigint\nLANGUAGE plpgsql STABLE ${definer}\nAS $fn$\nDECLARE\n  total bigint;\nBEGIN\n  SELECT coalesce(sum(amount_cents), 0) INTO total FROM public.${other} WHERE tenant_id = p_tenant;\n  IF total < 0 THEN\n    RAISE EXCEPTION 'negative total for %', p_tenant;\n  END IF;\n  RETURN total;\nEND\n$fn$;`);
      add(`REVOKE EXECUTE ON FUNCTION ${t}_total(uuid) FROM PUBLIC;`);
      add(`GRANT EXECUTE ON FUNCTION ${t}_total(uuid) TO app_user;`);
    } else {
      add(`CREATE INDEX ${t}_name_idx ON ${t} USING btree (lower(name));`);
      add(`ALTER TABLE ${t} ALTER COLUMN name SET DEFAULT '';`);
      add(`ANALYZE ${t};`);
    }
    if (definerInEveryFile) {
      add(`CREATE OR REPLACE FUNCTION ${t}_recent(p_tenant uuid, p_limit int DEFAULT 10) RETURNS TABLE (id bigint, name text)\nLANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp\nAS $body$\nDECLARE\n  r record;\n  n int := 0;\nBEGIN\n  FOR r IN SELECT x.id, x.name FROM public.${t} x WHERE x.tenant_id = p_tenant ORDER BY x.created_at DESC LIMIT p_limit LOOP\n    n := n + 1;\n    id := r.id; name := r.name;\n    RETURN NEXT;\n  END LOOP;\n  IF n = 0 THEN\n    RAISE NOTICE 'no rows for %', p_tenant;\n  END IF;\n  UPDATE public.${t} SET name = trim(name) WHERE tenant_id = p_tenant AND name <> trim(name);\nEND\n$body$;`);
      add(`REVOKE ALL ON FUNCTION ${t}_recent(uuid, int) FROM PUBLIC;`);
      add(`GRANT EXECUTE ON FUNCTION ${t}_recent(uuid, int) TO app_user;`);
    }
    if (i === 1) {
      out.unshift(`CREATE TABLE tenants (id uuid PRIMARY KEY, slug text NOT NULL UNIQUE);\nCREATE ROLE app_user LOGIN NOSUPERUSER NOBYPASSRLS;`);
      statements += 2;
    }
    writeFileSync(join(dir, `${String(i).padStart(5, '0')}_migration_${i}.sql`), `${out.join('\n\n')}\n`);
  }
  return { files, statements };
}

/** A TypeScript application of `files` modules with database access for the ESLint benchmark. */
export function generateApp(dir, { files = 2000 } = {}) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'src', 'db.ts'), `import { Pool, type PoolClient } from 'pg';\nexport const pool = new Pool({ connectionString: process.env.DATABASE_APP_URL });\nexport async function withTenant<T>(tenantId: string, fn: (db: PoolClient) => Promise<T>): Promise<T> {\n  const client = await pool.connect();\n  try {\n    await client.query('BEGIN');\n    await client.query("SELECT set_config('app.current_tenant', $1, true)", [tenantId]);\n    const result = await fn(client);\n    await client.query('COMMIT');\n    return result;\n  } finally {\n    client.release();\n  }\n}\n`);
  for (let i = 1; i <= files; i++) {
    writeFileSync(
      join(dir, 'src', `module_${i}.ts`),
      `import { pool, withTenant } from './db';\n\nexport interface Row${i} { id: number; name: string }\n\nexport async function list${i}(tenantId: string): Promise<Row${i}[]> {\n  return withTenant(tenantId, async (db) => {\n    const { rows } = await db.query<Row${i}>('SELECT id, name FROM t_${i} WHERE amount_cents > $1 ORDER BY created_at DESC', [${i}]);\n    return rows;\n  });\n}\n\nexport async function health${i}(): Promise<boolean> {\n  const { rows } = await pool.query('SELECT 1 AS ok');\n  return rows.length === 1;\n}\n\nexport function format${i}(row: Row${i}): string {\n  const parts = [String(row.id), row.name.trim()];\n  return parts.filter((p) => p.length > 0).join(' - ');\n}\n`,
    );
  }
}

/**
 * A data-heavy history: one table, then files that each seed it with a long multi-row INSERT
 * (the statements rls-guard does not model, whose parse trees are the largest).
 */
export function generateSeedHistory(dir, { files = 300, rows = 500 } = {}) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (let i = 1; i <= files; i++) {
    const values = [];
    for (let r = 0; r < rows; r++) values.push(`('${r}-${i}', 'name ${r}', ${r * i}, now())`);
    const create = i === 1 ? 'CREATE TABLE items (id text PRIMARY KEY, name text NOT NULL, n int, at timestamptz);\n' : '';
    writeFileSync(join(dir, `${String(i).padStart(4, '0')}_seed.sql`), `${create}INSERT INTO items (id, name, n, at) VALUES\n${values.join(',\n')};\n`);
  }
  return { files, statements: files + 1 };
}

/**
 * A function-heavy history: about 10% of the statements are PL/pgSQL functions, 30% of those
 * SECURITY DEFINER with unqualified names and no search_path (what security-definer-search-path
 * reports), the rest of the statements tables, policies and grants.
 */
export function generateFunctionHeavyHistory(dir, { files = 2000, seed = 11 } = {}) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const random = rng(seed);
  let statements = 0;
  for (let i = 1; i <= files; i++) {
    const out = [];
    const add = (sql) => {
      out.push(sql);
      statements++;
    };
    if (i === 1) add('CREATE ROLE app_user LOGIN NOSUPERUSER NOBYPASSRLS;');
    const t = `f_${i}`;
    add(`CREATE TABLE ${t} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant_id uuid NOT NULL, body text, total bigint NOT NULL DEFAULT 0);`);
    add(`ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY;`);
    add(`ALTER TABLE ${t} FORCE ROW LEVEL SECURITY;`);
    add(`CREATE POLICY ${t}_tenant ON ${t} USING (tenant_id = current_setting('app.current_tenant', true)::uuid) WITH CHECK (tenant_id = current_setting('app.current_tenant', true)::uuid);`);
    add(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${t} TO app_user;`);
    add(`CREATE INDEX ${t}_tenant_idx ON ${t} (tenant_id);`);
    add(`COMMENT ON TABLE ${t} IS 'function-heavy ${i}';`);
    add(`ALTER TABLE ${t} ADD COLUMN note text;`);
    add(`UPDATE ${t} SET body = trim(body) WHERE body IS NOT NULL;`);
    // One function per file: 1 statement in 10.
    const definer = random() < 0.3;
    const header = definer ? 'SECURITY DEFINER' : 'SECURITY INVOKER SET search_path = pg_catalog, public';
    add(`CREATE OR REPLACE FUNCTION ${t}_touch(p_tenant uuid, p_body text) RETURNS bigint\nLANGUAGE plpgsql ${header}\nAS $fn$\nDECLARE\n  n bigint := 0;\n  r record;\nBEGIN\n  FOR r IN SELECT id, body FROM ${t} WHERE tenant_id = p_tenant LOOP\n    IF r.body IS DISTINCT FROM p_body THEN\n      UPDATE ${t} SET body = p_body, total = total + 1 WHERE id = r.id;\n      n := n + 1;\n    END IF;\n  END LOOP;\n  INSERT INTO ${t} (tenant_id, body) SELECT p_tenant, p_body WHERE n = 0;\n  RETURN n;\nEND\n$fn$;`);
    writeFileSync(join(dir, `${String(i).padStart(5, '0')}_functions_${i}.sql`), `${out.join('\n\n')}\n`);
  }
  return { files, statements };
}

/**
 * A finding-heavy history: every table has several problems (no FORCE, an open policy, an app
 * grant of TRUNCATE, a definer without search_path), so check reports thousands of findings and
 * output formatting is part of the work.
 */
export function generateFindingHeavyHistory(dir, { files = 2000 } = {}) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let statements = 0;
  for (let i = 1; i <= files; i++) {
    const out = [];
    const add = (sql) => {
      out.push(sql);
      statements++;
    };
    if (i === 1) add('CREATE ROLE app_user LOGIN NOSUPERUSER NOBYPASSRLS;');
    const t = `x_${i}`;
    add(`CREATE TABLE ${t} (id bigint PRIMARY KEY, tenant_id uuid NOT NULL, body text);`);
    add(`ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY;`);
    add(`CREATE POLICY ${t}_open ON ${t} USING (true);`);
    add(`GRANT ALL ON ${t} TO app_user;`);
    add(`CREATE FUNCTION ${t}_peek(p uuid) RETURNS bigint LANGUAGE sql SECURITY DEFINER AS $$ SELECT count(*) FROM ${t} WHERE tenant_id = p $$;`);
    writeFileSync(join(dir, `${String(i).padStart(5, '0')}_findings_${i}.sql`), `${out.join('\n\n')}\n`);
  }
  return { files, statements };
}
