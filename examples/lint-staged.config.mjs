// lint-staged (https://github.com/lint-staged/lint-staged): copy into lint-staged.config.mjs.
//
// A function, so lint-staged does not append the staged file names: `rls-guard check <file>`
// would analyze that migration alone, without the history it builds on. Instead the whole
// history is replayed and `--since HEAD` reports only the migrations this commit adds or changes
// (lint-staged hides unstaged changes while it runs).
export default {
  '*.sql': () => 'rls-guard check --since HEAD',
};
