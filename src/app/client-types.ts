/**
 * Recognizing database clients by type, when the project lints with type information
 * (`parserOptions.projectService`). Specifiers follow typescript-eslint's TypeOrValueSpecifier:
 * a type name, or `{ from: 'package', package, name }`, `{ from: 'file', name, path? }`,
 * `{ from: 'lib', name }`. With a type known, `map.delete()` or an HTTP client's `.query()` is
 * never taken for a database call; without type information the rules fall back to names.
 */
import { ESLintUtils, type JSONSchema, type TSESLint, type TSESTree } from '@typescript-eslint/utils';
import type * as ts from 'typescript';

export type TypeSpecifier =
  | string
  | { from: 'package'; package: string; name: string | string[] }
  | { from: 'file'; name: string | string[]; path?: string }
  | { from: 'lib'; name: string | string[] };

export const DEFAULT_CLIENT_TYPES: TypeSpecifier[] = [
  { from: 'package', package: 'pg', name: ['Pool', 'PoolClient', 'Client', 'ClientBase'] },
  { from: 'package', package: 'postgres', name: ['Sql', 'TransactionSql', 'ReservedSql'] },
  { from: 'package', package: '@prisma/client', name: ['PrismaClient', 'TransactionClient', 'DefaultPrismaClient'] },
  { from: 'package', package: '.prisma/client', name: ['PrismaClient', 'TransactionClient'] },
  { from: 'package', package: 'drizzle-orm', name: ['PgDatabase', 'NodePgDatabase', 'PostgresJsDatabase', 'PgTransaction', 'NeonDatabase', 'NeonHttpDatabase'] },
  { from: 'package', package: 'kysely', name: ['Kysely', 'Transaction'] },
  { from: 'package', package: 'knex', name: ['Knex', 'Transaction'] },
  { from: 'package', package: 'typeorm', name: ['DataSource', 'EntityManager', 'QueryRunner', 'Repository'] },
  { from: 'package', package: 'slonik', name: ['DatabasePool', 'DatabaseConnection', 'DatabasePoolConnection', 'DatabaseTransactionConnection'] },
];

export function typeSpecifierListSchema(description: string): JSONSchema.JSONSchema4 {
  return {
    type: 'array',
    description,
    items: {
      oneOf: [
        { type: 'string', description: 'A type name, from any source.' },
        {
          type: 'object',
          additionalProperties: false,
          required: ['from', 'name', 'package'],
          properties: {
            from: { type: 'string', enum: ['package'], description: 'The type is declared by an npm package.' },
            package: { type: 'string', description: 'The package name, as `pg` or `@prisma/client`.' },
            name: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description: 'The type name(s).' },
          },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['from', 'name'],
          properties: {
            from: { type: 'string', enum: ['file', 'lib'], description: 'Declared in the project (`file`, optionally under `path`) or in the TypeScript lib (`lib`).' },
            name: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description: 'The type name(s).' },
            path: { type: 'string', description: 'For `file`: the declaring file, relative to the project.' },
          },
        },
      ],
    },
  };
}

/** TypeScript's TypeFlags.Any | TypeFlags.Unknown (kept numeric: typescript is not a runtime dependency). */
const ANY_OR_UNKNOWN = 1 | 2;
/** TypeFlags.Undefined | TypeFlags.Null */
const NULLISH = 32768 | 65536;

/** The matcher for a file without type information: the same function for every file. */
export function noTypeInformation(): undefined {
  return undefined;
}

/**
 * A function telling whether an expression's type is a database client: true or false when the
 * type decides, undefined when there is no type information or the type is `any`.
 */
export function clientTypeMatcher(
  context: Readonly<TSESLint.RuleContext<string, readonly unknown[]>>,
  specifiers: readonly TypeSpecifier[] | undefined,
): (expression: TSESTree.Node) => boolean | undefined {
  // Files parsed without type information (or by ESLint's default parser, for plain JS) use names.
  if (!context.sourceCode.parserServices?.program) return noTypeInformation;
  const services = ESLintUtils.getParserServices(context);
  const program = services.program;
  const checker = program.getTypeChecker();
  const specs = specifiers ?? DEFAULT_CLIENT_TYPES;
  const cache = new Map<ts.Type, boolean>();
  return (expression) => {
    const type = services.getTypeAtLocation(expression);
    if (type.flags & ANY_OR_UNKNOWN) return undefined;
    const parts = type.isUnion() ? type.types.filter((t) => !(t.flags & NULLISH)) : [type];
    if (parts.length === 0) return undefined;
    return parts.every((part) => {
      let hit = cache.get(part);
      if (hit === undefined) {
        hit = matches(part, specs, checker, program, new Set());
        cache.set(part, hit);
      }
      return hit;
    });
  };
}

function matches(type: ts.Type, specs: readonly TypeSpecifier[], checker: ts.TypeChecker, program: ts.Program, seen: Set<ts.Type>): boolean {
  if (seen.has(type)) return false;
  seen.add(type);
  for (const symbol of [type.aliasSymbol, type.getSymbol()]) {
    if (symbol && specs.some((spec) => symbolMatches(symbol, spec, program))) return true;
  }
  if (type.isIntersection()) return type.types.some((t) => matches(t, specs, checker, program, seen));
  if (type.isClassOrInterface()) {
    return (checker.getBaseTypes(type as ts.InterfaceType) ?? []).some((t) => matches(t, specs, checker, program, seen));
  }
  return false;
}

function symbolMatches(symbol: ts.Symbol, spec: TypeSpecifier, program: ts.Program): boolean {
  const name = symbol.getName();
  if (typeof spec === 'string') return spec === name;
  const names = Array.isArray(spec.name) ? spec.name : [spec.name];
  if (!names.includes(name)) return false;
  const files = (symbol.getDeclarations() ?? []).map((d) => d.getSourceFile().fileName.replaceAll('\\', '/'));
  switch (spec.from) {
    case 'package': {
      const typesName = spec.package.startsWith('@') ? spec.package.slice(1).replace('/', '__') : spec.package;
      return files.some((f) => f.includes(`/node_modules/${spec.package}/`) || f.includes(`/node_modules/@types/${typesName}/`));
    }
    case 'lib':
      return files.some((f) => program.isSourceFileDefaultLibrary(program.getSourceFile(f)!));
    case 'file':
      return files.some((f) => !f.includes('/node_modules/') && (!spec.path || f.endsWith(spec.path.replace(/^\.\//, ''))));
  }
}
