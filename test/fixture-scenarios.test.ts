/**
 * The project's own scenarios (fixtures/<name>/expected.json), run as the acceptance run runs the
 * shared ones: the built `rls-guard check` in the folder, and `eslint` with `configs.recommended`
 * on `src/` and on the migrations. `npm test` needs nothing beside the repository.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeScenarios, repoRoot, scenarioFolders } from './support/scenario.js';

const fixtures = join(repoRoot, 'fixtures');

describe('fixture scenarios', () => {
  it('holds the bundled example', () => {
    expect(scenarioFolders(fixtures)).toContain('saas-demo');
  });

  describeScenarios(fixtures);
});
