/** RuleTester from @typescript-eslint/rule-tester, wired to vitest. */
import { RuleTester } from '@typescript-eslint/rule-tester';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, it } from 'vitest';

RuleTester.afterAll = afterAll;
RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

export { RuleTester };

/** A service folder with its own rls-guard.config.json (scopeFunctions: inTenant, globalTables: plans, ...). */
export const serviceDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'service');
export const serviceFile = (relative: string): string => path.join(serviceDir, relative);
