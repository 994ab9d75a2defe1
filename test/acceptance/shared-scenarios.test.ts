/**
 * The shared acceptance scenarios (../shared/scenarios), run as a user runs them: `rls-guard check`
 * in each scenario folder and `eslint` with `configs.recommended`. `npm run test:acceptance` runs
 * this file; `npm test` does not, so that it passes in a clone with nothing beside it.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeScenarios, repoRoot, scenarioFolders } from '../support/scenario.js';

const sharedScenarios = resolve(repoRoot, '..', 'shared', 'scenarios');

// A missing folder fails the run: an acceptance run that checked nothing must not pass.
if (!existsSync(sharedScenarios)) {
  throw new Error(`the acceptance scenarios are not at ${sharedScenarios}: check out the shared folder beside the repository`);
}

describe('shared scenarios', () => {
  it('holds the scenarios of the source documents', () => {
    expect(scenarioFolders(sharedScenarios)).toEqual(expect.arrayContaining(['align', 'apsaradb', 'clean', 'kahn']));
  });

  describeScenarios(sharedScenarios);
});
