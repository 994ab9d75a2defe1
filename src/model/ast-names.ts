/** Reading names, roles, options and types out of libpg-query statement nodes, as PostgreSQL reads them. */
import type { AstNode } from '../sql/parse.js';
import type { TablePrivilege } from './catalog.js';

export const ALL_TABLE_PRIVILEGES: TablePrivilege[] = ['select', 'insert', 'update', 'delete', 'truncate', 'references', 'trigger', 'maintain'];

export function str(node: AstNode | undefined): string | undefined {
  return node?.String?.sval as string | undefined;
}

export function nameList(list: AstNode[] | undefined): string[] {
  return (list ?? []).map((n) => str(n) ?? '').filter((s) => s !== '');
}

export function roleName(spec: AstNode | undefined): string {
  const s = (spec?.RoleSpec ?? spec) as AstNode | undefined;
  switch (s?.roletype) {
    case 'ROLESPEC_PUBLIC':
      return 'public';
    case 'ROLESPEC_CURRENT_USER':
    case 'ROLESPEC_CURRENT_ROLE':
    case 'ROLESPEC_SESSION_USER':
      return 'current_user';
    default:
      return String(s?.rolename ?? '');
  }
}

export function defBool(def: AstNode): boolean {
  const arg = def.arg as AstNode | undefined;
  if (!arg) return true;
  if (arg.Boolean) return !!arg.Boolean.boolval;
  if (arg.Integer) return arg.Integer.ival !== 0;
  const text = (str(arg) ?? arg.TypeName?.names?.[0]?.String?.sval ?? 'true').toLowerCase();
  return ['true', 'on', 'yes', '1'].includes(text);
}

/** Normalizes a type name the way PostgreSQL identifies function signatures (int -> int4, ...). */
export function normalizeTypeName(typeName: AstNode | undefined): string {
  const names = nameList(typeName?.names);
  let name = (names[names.length - 1] ?? '').toLowerCase();
  const aliases: Record<string, string> = {
    integer: 'int4',
    int: 'int4',
    smallint: 'int2',
    bigint: 'int8',
    boolean: 'bool',
    'character varying': 'varchar',
    character: 'bpchar',
    real: 'float4',
    'double precision': 'float8',
    decimal: 'numeric',
  };
  name = aliases[name] ?? name;
  return typeName?.arrayBounds ? `${name}[]` : name;
}

export function functionArgTypes(params: AstNode[] | undefined): { types: string[]; names: string[] } {
  const types: string[] = [];
  const names: string[] = [];
  for (const p of params ?? []) {
    const fp = (p.FunctionParameter ?? p) as AstNode;
    const mode = fp.mode as string | undefined;
    if (mode === 'FUNC_PARAM_OUT' || mode === 'FUNC_PARAM_TABLE') continue;
    types.push(normalizeTypeName(fp.argType));
    names.push(String(fp.name ?? ''));
  }
  return { types, names };
}

export function searchPathFromSet(set: AstNode): string[] | null {
  if (String(set.name ?? '').toLowerCase() !== 'search_path') return null;
  if (set.kind === 'VAR_SET_DEFAULT' || set.kind === 'VAR_RESET') return null;
  if (set.kind === 'VAR_SET_CURRENT') return ['$current'];
  const path: string[] = [];
  for (const arg of (set.args ?? []) as AstNode[]) {
    const value = (arg.A_Const?.sval?.sval ?? str(arg) ?? '') as string;
    // `SET search_path = 'a, b'` is one string PostgreSQL splits on commas.
    for (const part of value.split(',')) {
      const p = part.trim().replace(/^"(.*)"$/, '$1');
      if (p !== '') path.push(p);
    }
  }
  return path;
}

/** A node's one key and its value (`{ A_Const: {...} }` -> `['A_Const', {...}]`), or null. */
export function unwrap(node: unknown): [string, AstNode] | null {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return null;
  const kind = Object.keys(node)[0];
  return kind ? [kind, (node as AstNode)[kind] as AstNode] : null;
}

/** Does the expression read any column (a ColumnRef anywhere in it)? */
export function readsColumns(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(readsColumns);
  if (!node || typeof node !== 'object') return false;
  if ('ColumnRef' in node) return true;
  return Object.values(node as AstNode).some(readsColumns);
}
