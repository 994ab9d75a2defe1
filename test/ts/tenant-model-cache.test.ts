/**
 * loadTenantModel keeps its answer for a second per config (the app rules ask on every linted
 * file), then lists and stats the migrations again, so an editor sees a migration edit within a
 * second. The clock is faked: nothing here depends on how fast the test runs.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { loadTenantModel } from '../../src/project.js';
import { loadSqlParser } from '../../src/sql/parse.js';

const dir = mkdtempSync(join(tmpdir(), 'rlsg-model-cache-'));

beforeAll(async () => {
  await loadSqlParser();
  mkdirSync(join(dir, 'migrations'));
  writeFileSync(join(dir, 'rls-guard.config.json'), JSON.stringify({ migrations: ['migrations'] }));
  writeFileSync(join(dir, 'migrations', '001_orders.sql'), 'CREATE TABLE orders (id int, tenant_id uuid);\n');
});
afterEach(() => {
  vi.useRealTimers();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadTenantModel cache', () => {
  it('answers from the last check within a second, and follows an added migration after it', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    const config = resolveConfig({ start: dir });
    const first = loadTenantModel(config);
    expect(first?.isKnownTable('orders')).toBe(true);
    expect(first?.isKnownTable('plans')).toBe(false);

    writeFileSync(join(dir, 'migrations', '002_plans.sql'), 'CREATE TABLE plans (id int);\n');
    vi.setSystemTime(new Date('2030-01-01T00:00:00.500Z'));
    expect(loadTenantModel(config)).toBe(first);

    vi.setSystemTime(new Date('2030-01-01T00:00:01.000Z'));
    const second = loadTenantModel(config);
    expect(second).not.toBe(first);
    expect(second?.isKnownTable('plans')).toBe(true);
  });

  it('keeps the replayed model when a recheck finds the migrations unchanged', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2031-01-01T00:00:00Z'));
    const config = resolveConfig({ start: dir });
    const model = loadTenantModel(config);
    vi.setSystemTime(new Date('2031-01-01T00:00:05Z'));
    expect(loadTenantModel(config)).toBe(model);
  });
});

describe('loadTenantModel on hostile migrations', () => {
  it('reads them as check does: a FIFO never blocks it, a dangling link never throws, and the statements after a NUL byte count', () => {
    const hostile = mkdtempSync(join(tmpdir(), 'rlsg-model-hostile-'));
    try {
      mkdirSync(join(hostile, 'migrations'));
      writeFileSync(join(hostile, 'rls-guard.config.json'), JSON.stringify({ migrations: ['migrations'] }));
      writeFileSync(join(hostile, 'migrations', '001_orders.sql'), 'CREATE TABLE plans (id int);\n-- \0\nCREATE TABLE orders (id int, tenant_id uuid);\n');
      execFileSync('mkfifo', [join(hostile, 'migrations', '002_fifo.sql')]);
      symlinkSync('nowhere.sql', join(hostile, 'migrations', '003_dangling.sql'));
      const model = loadTenantModel(resolveConfig({ start: hostile }));
      expect(model?.isTenantTable('orders')).toBe(true);
      expect(model?.analysis.findings.filter((f) => f.ruleId === 'parse-error').map((f) => `${f.location.file.slice(hostile.length + 1)}:${f.location.line}`)).toEqual([
        'migrations/001_orders.sql:2',
        'migrations/002_fifo.sql:1',
        'migrations/003_dangling.sql:1',
      ]);
    } finally {
      rmSync(hostile, { recursive: true, force: true });
    }
  });
});
