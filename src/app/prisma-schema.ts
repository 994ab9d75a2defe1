/**
 * Which table a Prisma model is: `prisma.orderItem` is model `OrderItem`, whose table is
 * `@@map("order_items")` when the model says so, else the model's own name (`"OrderItem"`), in
 * `@@schema("x")` when it has one. Read from the project's Prisma schema when one is found: the
 * `prisma.schema` entry of package.json, `prisma/schema.prisma`, `schema.prisma`, or the
 * multi-file `prisma/schema/*.prisma`, looked for from the linted file's directory up to the
 * directory with package.json.
 *
 * The schema language is Prisma's, not SQL: it is read line by line, for the `model`/`view`
 * blocks and their `@@map` and `@@schema` attributes only.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface PrismaModels {
  /** The table of the model a client accessor (`orderItem`) names, `schema.table` with `@@schema`; null for no such model. */
  tableOf(accessor: string): string | null;
}

const RECHECK_MS = 1000;
const byDirectory = new Map<string, { checkedAt: number; models: PrismaModels | null }>();
const parsed = new Map<string, { mtimeMs: number; models: Map<string, string> }>();

/** The Prisma models of the project the directory belongs to; null when it has no Prisma schema. */
export function prismaModelsFor(directory: string): PrismaModels | null {
  const now = Date.now();
  const cached = byDirectory.get(directory);
  if (cached && now - cached.checkedAt < RECHECK_MS) return cached.models;
  const files = findSchemaFiles(directory);
  let models: PrismaModels | null = null;
  if (files.length > 0) {
    const tables = new Map<string, string>();
    for (const file of files) for (const [accessor, table] of modelsOf(file)) tables.set(accessor, table);
    models = { tableOf: (accessor) => tables.get(accessor) ?? null };
  }
  if (byDirectory.size > 1000) byDirectory.clear();
  byDirectory.set(directory, { checkedAt: now, models });
  return models;
}

function findSchemaFiles(start: string): string[] {
  for (let dir = resolve(start), depth = 0; depth < 12; depth++) {
    const packageJson = join(dir, 'package.json');
    const hasPackage = isFile(packageJson);
    if (hasPackage) {
      const configured = configuredSchema(packageJson);
      if (configured) {
        const path = resolve(dir, configured);
        if (isFile(path)) return [path];
        if (isDirectory(path)) return prismaFilesIn(path);
      }
    }
    for (const candidate of [join(dir, 'prisma', 'schema.prisma'), join(dir, 'schema.prisma')]) if (isFile(candidate)) return [candidate];
    const multiFile = join(dir, 'prisma', 'schema');
    if (isDirectory(multiFile)) {
      const files = prismaFilesIn(multiFile);
      if (files.length > 0) return files;
    }
    const parent = dirname(dir);
    if (hasPackage || parent === dir) break;
    dir = parent;
  }
  return [];
}

/** `"prisma": { "schema": "db/schema.prisma" }` in package.json. */
function configuredSchema(packageJson: string): string | null {
  try {
    const schema = (JSON.parse(readFileSync(packageJson, 'utf8')) as { prisma?: { schema?: unknown } }).prisma?.schema;
    return typeof schema === 'string' ? schema : null;
  } catch {
    return null;
  }
}

function prismaFilesIn(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.prisma')).sort().map((f) => join(dir, f));
  } catch {
    return [];
  }
}

/** accessor → table for each model and view of one schema file. */
function modelsOf(file: string): Map<string, string> {
  let mtimeMs: number;
  try {
    mtimeMs = statSync(file).mtimeMs;
  } catch {
    return new Map();
  }
  const hit = parsed.get(file);
  if (hit?.mtimeMs === mtimeMs) return hit.models;
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return new Map();
  }
  const models = parseModels(text);
  parsed.set(file, { mtimeMs, models });
  return models;
}

/** The models of a Prisma schema's text: accessor (the name with a lower-case first letter) → table. */
export function parseModels(text: string): Map<string, string> {
  const models = new Map<string, string>();
  let current: { name: string; map: string | null; schema: string | null } | null = null;
  for (const rawLine of text.split('\n')) {
    const line = stripComment(rawLine).trim();
    if (!current) {
      const words = line.split(/\s+/);
      if ((words[0] === 'model' || words[0] === 'view') && words[1] && line.endsWith('{')) current = { name: words[1].replace(/\{$/, ''), map: null, schema: null };
      continue;
    }
    if (line.startsWith('}')) {
      const table = current.map ?? current.name;
      models.set(current.name.charAt(0).toLowerCase() + current.name.slice(1), current.schema ? `${current.schema}.${table}` : table);
      current = null;
      continue;
    }
    if (line.startsWith('@@map(')) current.map = quotedArgument(line);
    else if (line.startsWith('@@schema(')) current.schema = quotedArgument(line);
  }
  return models;
}

/** `@@map("order_items")` or `@@map(name: "order_items")` → `order_items`. */
function quotedArgument(line: string): string | null {
  const open = line.indexOf('"');
  const close = open === -1 ? -1 : line.indexOf('"', open + 1);
  return close === -1 ? null : line.slice(open + 1, close);
}

/** A line without its `//` comment (Prisma strings in attributes hold no `//` we read). */
function stripComment(line: string): string {
  const at = line.indexOf('//');
  return at === -1 ? line : line.slice(0, at);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
