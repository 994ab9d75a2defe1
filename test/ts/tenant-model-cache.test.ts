/**
 * loadTenantModel keeps its answer for a second per config (the app rules ask on every linted
 * file), then lists and stats the migrations again, so an editor sees a migration edit within a
 * second. The clock is faked: nothing here depends on how fast the test runs.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
