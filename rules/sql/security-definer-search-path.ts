import { namesOnlyInTemp, pinsTempLast, unqualifiedRelations } from '../../src/analysis/definer.js';
import type { SqlRule } from '../../src/rule.js';

/**
 * A SECURITY DEFINER function resolves unqualified names through search_path, and pg_temp is
 * searched first unless listed explicitly (SPEC behaviour 8; "Writing SECURITY DEFINER Functions
 * Safely" in https://www.postgresql.org/docs/current/sql-createfunction.html). With no SET, with
 * SET search_path = '' or = public, a caller's temporary table shadows the real one and feeds
 * the function forged rows. Pin the path with pg_temp last; fully qualified bodies are safe.
 */
const rule: SqlRule = {
  id: 'security-definer-search-path',
  severity: 2,
  description: 'SECURITY DEFINER functions pin search_path with pg_temp last.',
  check({ catalog }) {
    return [...catalog.functions.values()].flatMap((fn) => {
      // SQL-standard bodies (BEGIN ATOMIC / RETURN) bind every name when the function is created.
      if (!fn.securityDefiner || fn.sqlBody || fn.platform) return [];
      const name = `${fn.schema}.${fn.name}(${fn.argTypes.join(', ')})`;
      if (pinsTempLast(fn.searchPath)) {
        const onlyInTemp = namesOnlyInTemp(fn, catalog);
        if (onlyInTemp.length === 0) return [];
        const listed = onlyInTemp.map((n) => `\`${n}\``).join(', ');
        return [
          {
            message: `SECURITY DEFINER ${fn.kind} ${name} sets search_path = ${fn.searchPath!.join(', ')}, but no schema on that path holds ${listed}: PostgreSQL searches pg_temp last and reads a caller's temporary table of that name, so a caller can feed it forged rows. Schema-qualify the name (public.${onlyInTemp[0]}) or list its schema before pg_temp.`,
            location: fn.searchPathSetAt ?? fn.createdAt,
            object: `${fn.schema}.${fn.name}(${fn.argTypes.join(',')})`,
          },
        ];
      }
      const unqualified = unqualifiedRelations(fn);
      const location = fn.searchPathSetAt ?? fn.createdAt;
      const object = `${fn.schema}.${fn.name}(${fn.argTypes.join(',')})`;
      const names = unqualified.map((n) => `\`${n}\``).join(', ');
      const fix = `Add SET search_path = pg_catalog, pg_temp (pg_temp explicitly last) and schema-qualify every name.`;
      if (fn.searchPath === null) {
        const shadow = unqualified.length > 0 ? `a caller's temporary table named ${names} is read instead of the real one, and ` : '';
        return [{ message: `SECURITY DEFINER ${fn.kind} ${name} does not pin search_path: it runs with the caller's search_path, so ${shadow}a caller can shadow any name it resolves. ${fix}`, location, object }];
      }
      // A pinned path is unsafe only through unqualified names in the body. A body rls-guard cannot
      // read is reported by unverifiable-ddl as not evaluated, not guessed to be unsafe here.
      if (unqualified.length === 0) return [];
      const path = fn.searchPath.length === 0 || (fn.searchPath.length === 1 && fn.searchPath[0] === '') ? "''" : fn.searchPath.join(', ');
      return [{ message: `SECURITY DEFINER ${fn.kind} ${name} sets search_path = ${path} without pg_temp last: the unqualified ${names} resolves to a caller's temporary table first, so a caller can feed it forged rows. ${fix}`, location, object }];
    });
  },
};
export default rule;
