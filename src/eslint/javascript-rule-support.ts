/**
 * What JavaScript and TypeScript rules are created with on a `.sql` file: an empty scope manager
 * and typescript-eslint parser services with nothing in them.
 *
 * A flat config object without `files` (`@eslint/js` recommended, typescript-eslint's rule
 * configs) turns its rules on for every linted file, `.sql` included. No listener of such a rule
 * fires on SQL (the root is a `Script`, and no node is ESTree), but many read the scope manager or
 * the parser services when they are created:
 *
 * - `sourceCode.getScope(sourceCode.ast)` for the global scope (`logical-assignment-operators`,
 *   `@typescript-eslint/prefer-includes`), `sourceCode.scopeManager` (`naming-convention`);
 * - `getParserServices(context)` in every typed rule, which throws unless the services hold both
 *   node maps and a `program`.
 *
 * Both are real and empty: the scope manager of an empty module, from the typescript-eslint
 * parser the plugin already uses for TypeScript, and a TypeScript program with no source files
 * (compiler options `strict`, so rules that require `strictNullChecks` do not report its absence
 * against the SQL file). Each is built once per process on first use.
 */
import { createRequire } from 'node:module';
import tsParser from '@typescript-eslint/parser';

type ScopeManager = ReturnType<typeof tsParser.parseForESLint>['scopeManager'];

let scopeManager: ScopeManager | undefined;

export function emptyScopeManager(): ScopeManager {
  scopeManager ??= tsParser.parseForESLint('', { sourceType: 'module' }).scopeManager;
  return scopeManager;
}

export interface EmptyParserServices {
  readonly program: unknown;
  readonly esTreeNodeToTSNodeMap: WeakMap<object, never>;
  readonly tsNodeToESTreeNodeMap: WeakMap<object, never>;
  readonly emitDecoratorMetadata: false;
  readonly experimentalDecorators: false;
  readonly isolatedDeclarations: false;
}

const require = createRequire(import.meta.url);
let emptyProgram: unknown;

/** The program, from the `typescript` typed linting already needs; `null` without one (typed rules then fail as they would anyway). */
function loadEmptyProgram(): unknown {
  if (emptyProgram === undefined) {
    try {
      const ts = require('typescript') as { createProgram(options: { rootNames: string[]; options: Record<string, unknown> }): unknown };
      emptyProgram = ts.createProgram({ rootNames: [], options: { strict: true, noEmit: true } });
    } catch {
      emptyProgram = null;
    }
  }
  return emptyProgram;
}

const parserServices: EmptyParserServices = {
  get program() {
    return loadEmptyProgram();
  },
  esTreeNodeToTSNodeMap: new WeakMap(),
  tsNodeToESTreeNodeMap: new WeakMap(),
  emitDecoratorMetadata: false,
  experimentalDecorators: false,
  isolatedDeclarations: false,
};

export function emptyParserServices(): EmptyParserServices {
  return parserServices;
}
