/**
 * no-libpq-options: the libpq `options` startup parameter (`options: '-c statement_timeout=5000'`,
 * `?options=...` in a connection URL, `PGOPTIONS`) is rejected by RDS Proxy, so every connection
 * through the proxy fails. Session settings belong in the pool's `connect` handler, which runs
 * `SET` on each new connection.
 */
import { AST_NODE_TYPES, ASTUtils, type TSESLint, type TSESTree } from '@typescript-eslint/utils';
import { calleeName, memberName, propertyName } from '../../src/app/database-calls.js';
import { projectConfigFor, stringListOption } from '../../src/app/rule-config.js';
import { createRule } from '../../src/app/rule-creator.js';

export type Options = [{ connectionFactories?: string[]; tenantSettings?: string[] }];
export type MessageIds = 'configOptions' | 'connectionStringOptions' | 'pgOptionsVariable' | 'useConnectHandler';

const DEFAULT_CONNECTION_FACTORIES = ['Pool', 'Client', 'postgres', 'DataSource', 'createConnection', 'createPool', 'knex', 'Knex', 'Sequelize', 'createClient'];
/** Keys that make an object literal a connection config even where it is not passed to a known factory. */
const CONNECTION_KEYS = new Set(['connectionString', 'host', 'hostname', 'user', 'username', 'database', 'password', 'port', 'ssl']);
/** Properties whose value is the driver's connection config (Knex `connection`, TypeORM `extra`). */
const NESTED_CONFIG_KEYS = new Set(['connection', 'extra', 'driverOptions', 'dialectOptions', 'pool']);
/** libpq connection keywords, to tell a `key=value` conninfo string from other text. */
const CONNINFO_KEYS = new Set(['host', 'hostaddr', 'port', 'dbname', 'user', 'password', 'passfile', 'options', 'sslmode', 'application_name', 'connect_timeout', 'target_session_attrs']);

export const noLibpqOptions = createRule<Options, MessageIds>({
  name: 'no-libpq-options',
  meta: {
    type: 'problem',
    docs: {
      description: 'Disallow the libpq `options` startup parameter, which RDS Proxy rejects',
    },
    hasSuggestions: true,
    messages: {
      configOptions:
        "`options` sends the libpq startup parameter{{settings}}: RDS Proxy rejects it and every connection through the proxy fails. Run `SET` in the pool's `connect` handler instead.",
      connectionStringOptions:
        "This connection string sets the libpq `options` startup parameter: RDS Proxy rejects it and every connection through the proxy fails. Run `SET` in the pool's `connect` handler instead.",
      pgOptionsVariable:
        "`PGOPTIONS` becomes the libpq `options` startup parameter: RDS Proxy rejects it and every connection through the proxy fails. Run `SET` in the pool's `connect` handler instead.",
      useConnectHandler: "Move {{settings}} to a `{{pool}}.on('connect')` handler that runs `SET`.",
    },
    schema: [
      {
        type: 'object',
        additionalProperties: false,
        properties: {
          connectionFactories: stringListOption('Constructors and functions whose first object argument is a connection config (`new Pool({...})`, `postgres(url, {...})`).'),
          tenantSettings: stringListOption('Tenant settings; a startup option setting one gets no `connect` handler suggestion, since a per-connection tenant is wrong for a pool (default: `tenantSettings` from rls-guard.config.json).'),
        },
      },
    ],
    defaultOptions: [{}],
  },
  create(context, [options]) {
    const factories = new Set(options.connectionFactories ?? DEFAULT_CONNECTION_FACTORIES);
    let tenantSettings: Set<string> | null = null;
    const isTenantSetting = (name: string): boolean => {
      tenantSettings ??= new Set((options.tenantSettings ?? projectConfigFor(context).tenantSettings).map((s) => s.toLowerCase()));
      return tenantSettings.has(name.toLowerCase());
    };

    /**
     * Is the object a connection config: passed to a connection factory, the value of a nested
     * config key, holding connection keys, or, through a constant, one of those: `const base =
     * { options }` passed as `postgres(url, base)` or spread into `postgres(url, { ...base })`.
     */
    function isConnectionConfig(object: TSESTree.ObjectExpression, depth = 0): boolean {
      if (usedAsConnectionConfig(object, depth)) return true;
      return object.properties.some((p) => p.type === AST_NODE_TYPES.Property && CONNECTION_KEYS.has(propertyName(p) ?? ''));
    }

    /** Where the expression is used: a factory's argument, a nested config key's value, or spread into a connection config. */
    function usedAsConnectionConfig(expression: TSESTree.Node, depth: number): boolean {
      const parent = expression.parent;
      if (!parent || depth > 4) return false;
      if ((parent.type === AST_NODE_TYPES.NewExpression || parent.type === AST_NODE_TYPES.CallExpression) && parent.arguments.includes(expression as TSESTree.CallExpressionArgument)) {
        const name = parent.type === AST_NODE_TYPES.CallExpression ? calleeName(parent) : newCalleeName(parent);
        return name !== null && factories.has(name);
      }
      if (parent.type === AST_NODE_TYPES.Property && parent.value === expression) {
        const key = propertyName(parent);
        return key !== null && NESTED_CONFIG_KEYS.has(key);
      }
      if (parent.type === AST_NODE_TYPES.SpreadElement && parent.parent.type === AST_NODE_TYPES.ObjectExpression) return isConnectionConfig(parent.parent, depth + 1);
      if (parent.type === AST_NODE_TYPES.TSAsExpression || parent.type === AST_NODE_TYPES.TSSatisfiesExpression) return usedAsConnectionConfig(parent, depth);
      // const base = {...}: where the constant is used
      if (parent.type === AST_NODE_TYPES.VariableDeclarator && parent.init === expression && parent.id.type === AST_NODE_TYPES.Identifier) {
        const variable = ASTUtils.findVariable(context.sourceCode.getScope(parent), parent.id);
        return !!variable && variable.references.some((r) => r.identifier !== parent.id && usedAsConnectionConfig(r.identifier, depth + 1));
      }
      return false;
    }

    function connectHandlerSuggestion(property: TSESTree.Property, object: TSESTree.ObjectExpression): TSESLint.ReportSuggestionArray<MessageIds> {
      // Only for `const pool = new Pool({ ..., options: '-c name=value' })`: the handler needs the pool's name.
      const value = property.value;
      if (value.type !== AST_NODE_TYPES.Literal || typeof value.value !== 'string') return [];
      const settings = parseStartupOptions(value.value);
      if (!settings || settings.length === 0 || settings.some((s) => isTenantSetting(s.name))) return [];
      const created = object.parent;
      if (created.type !== AST_NODE_TYPES.NewExpression || newCalleeName(created) !== 'Pool') return [];
      const declarator = created.parent;
      if (declarator.type !== AST_NODE_TYPES.VariableDeclarator || declarator.id.type !== AST_NODE_TYPES.Identifier) return [];
      const declaration = declarator.parent;
      const statement = declaration.parent.type === AST_NODE_TYPES.ExportNamedDeclaration ? declaration.parent : declaration;
      const pool = declarator.id.name;
      const sqlText = settings.map((s) => `SET ${s.name} = ${settingValue(s.value)}`).join('; ');
      const handler =
        `\n\n// RDS Proxy rejects the libpq options startup parameter, so session settings are set on connect.\n` +
        `${pool}.on('connect', (client) => {\n  client.query(${JSON.stringify(sqlText)}).catch((error) => client.emit('error', error));\n});`;
      return [
        {
          messageId: 'useConnectHandler',
          data: { settings: settings.map((s) => `\`${s.name}\``).join(', '), pool },
          fix: (fixer) => [...removeProperty(fixer, context.sourceCode, property), fixer.insertTextAfter(statement, handler)],
        },
      ];
    }

    function checkConnectionString(node: TSESTree.Literal | TSESTree.TemplateLiteral, text: string): void {
      if (connectionStringHasOptions(text) || queryStringHasOptions(text)) context.report({ node, messageId: 'connectionStringOptions' });
    }

    return {
      Property(property) {
        const parent = property.parent;
        if (parent.type !== AST_NODE_TYPES.ObjectExpression) return;
        const key = propertyName(property);
        if (key === 'PGOPTIONS') {
          context.report({ node: property, messageId: 'pgOptionsVariable' });
          return;
        }
        if (key !== 'options') return;
        const value = property.value;
        if (value.type === AST_NODE_TYPES.ObjectExpression || value.type === AST_NODE_TYPES.ArrayExpression || value.type === AST_NODE_TYPES.ArrowFunctionExpression || value.type === AST_NODE_TYPES.FunctionExpression) return;
        if (!isConnectionConfig(parent)) return;
        const settings = value.type === AST_NODE_TYPES.Literal && typeof value.value === 'string' ? parseStartupOptions(value.value) : null;
        context.report({
          node: property,
          messageId: 'configOptions',
          data: { settings: settings && settings.length > 0 ? ` (${settings.map((s) => s.name).join(', ')})` : '' },
          suggest: connectHandlerSuggestion(property, parent),
        });
      },
      // url.searchParams.set('options', '-c statement_timeout=5000')
      CallExpression(node) {
        const callee = node.callee;
        if (callee.type !== AST_NODE_TYPES.MemberExpression || !['set', 'append'].includes(memberName(callee) ?? '')) return;
        const target = callee.object;
        const isSearchParams = (target.type === AST_NODE_TYPES.MemberExpression && memberName(target) === 'searchParams') || (target.type === AST_NODE_TYPES.Identifier && target.name === 'searchParams');
        const first = node.arguments[0];
        if (isSearchParams && first?.type === AST_NODE_TYPES.Literal && first.value === 'options') context.report({ node, messageId: 'connectionStringOptions' });
      },
      AssignmentExpression(node) {
        if (node.left.type === AST_NODE_TYPES.MemberExpression && memberName(node.left) === 'PGOPTIONS' && isProcessEnv(node.left.object)) {
          context.report({ node, messageId: 'pgOptionsVariable' });
        }
      },
      Literal(node) {
        if (typeof node.value === 'string') checkConnectionString(node, node.value);
      },
      TemplateLiteral(node) {
        if (node.parent.type === AST_NODE_TYPES.TaggedTemplateExpression) return;
        // Interpolated parts stand in as a neutral word; `options=` is in the written text or not at all.
        checkConnectionString(node, node.quasis.map((q) => q.value.cooked ?? q.value.raw).join('x'));
      },
    };
  },
});

function newCalleeName(node: TSESTree.NewExpression): string | null {
  if (node.callee.type === AST_NODE_TYPES.Identifier) return node.callee.name;
  if (node.callee.type === AST_NODE_TYPES.MemberExpression) return memberName(node.callee);
  return null;
}

function isProcessEnv(node: TSESTree.Node): boolean {
  return node.type === AST_NODE_TYPES.MemberExpression && memberName(node) === 'env' && node.object.type === AST_NODE_TYPES.Identifier && node.object.name === 'process';
}

/** Does a `postgres://` URL or a `key=value` conninfo string carry `options`? */
export function connectionStringHasOptions(text: string): boolean {
  const trimmed = text.trim();
  if (trimmed.startsWith('postgres://') || trimmed.startsWith('postgresql://')) {
    try {
      return new URL(trimmed).searchParams.has('options');
    } catch {
      return false;
    }
  }
  // A conninfo string names more than its options (`host=... options=...`); a lone `options=x` is other text.
  const keys = conninfoKeys(trimmed);
  return keys !== null && keys.length > 1 && keys.includes('options');
}

/**
 * Does the text hold a URL query (`...?options=-c%20statement_timeout%3D5000`, or a
 * `&options=...` appended to one) whose `options` decodes to startup options? For the part of a
 * connection URL written after an interpolation or a variable: `${base}?options=...`, `url + '&options=...'`.
 */
export function queryStringHasOptions(text: string): boolean {
  const question = text.indexOf('?');
  const query = question !== -1 ? text.slice(question + 1) : text.startsWith('&') ? text.slice(1) : null;
  if (query === null) return false;
  return query.split('&').some((part) => {
    const eq = part.indexOf('=');
    if (eq === -1 || decodeOrNull(part.slice(0, eq)) !== 'options') return false;
    const value = decodeOrNull(part.slice(eq + 1).replaceAll('+', ' '));
    const settings = value === null ? null : parseStartupOptions(value);
    return !!settings && settings.length > 0;
  });
}

function decodeOrNull(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/** The keys of a libpq `key=value ...` conninfo string; null when the text is not one. */
function conninfoKeys(text: string): string[] | null {
  if (!text.includes('=')) return null;
  const keys: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && text[i] === ' ') i++;
    if (i >= text.length) break;
    const eq = text.indexOf('=', i);
    if (eq === -1) return null;
    const key = text.slice(i, eq).trim();
    if (!CONNINFO_KEYS.has(key)) return null;
    keys.push(key);
    i = eq + 1;
    while (text[i] === ' ') i++;
    if (text[i] === "'") {
      i++;
      while (i < text.length && text[i] !== "'") i += text[i] === '\\' ? 2 : 1;
      i++;
    } else {
      while (i < text.length && text[i] !== ' ') i++;
    }
  }
  return keys.length > 0 ? keys : null;
}

interface StartupSetting {
  name: string;
  value: string;
}

/** `-c statement_timeout=5000 --lock_timeout=1s` → the settings; null for anything else. */
export function parseStartupOptions(text: string): StartupSetting[] | null {
  const words = text.split(' ').filter((w) => w.length > 0);
  const settings: StartupSetting[] = [];
  for (let i = 0; i < words.length; i++) {
    let assignment: string | undefined;
    const word = words[i]!;
    if (word === '-c') assignment = words[++i];
    else if (word.startsWith('-c')) assignment = word.slice(2);
    else if (word.startsWith('--')) assignment = word.slice(2);
    if (!assignment) return null;
    const eq = assignment.indexOf('=');
    if (eq <= 0) return null;
    settings.push({ name: assignment.slice(0, eq).replaceAll('-', '_'), value: assignment.slice(eq + 1) });
  }
  return settings;
}

/** A setting value as SQL: numbers bare, anything else a quoted literal. */
function settingValue(value: string): string {
  if (value !== '' && !Number.isNaN(Number(value))) return value;
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * Removes a property and its comma, and its line when it had one to itself; comments around it
 * (on the lines before and after, or after it on its line) stay where they were.
 */
function removeProperty(fixer: TSESLint.RuleFixer, sourceCode: Readonly<TSESLint.SourceCode>, property: TSESTree.Property): TSESLint.RuleFix[] {
  const text = sourceCode.text;
  const before = sourceCode.getTokenBefore(property);
  const after = sourceCode.getTokenAfter(property);
  const lineStart = text.lastIndexOf('\n', property.range[0] - 1) + 1;
  const aloneFromLineStart = text.slice(lineStart, property.range[0]).trim() === '';
  if (after && after.value === ',') {
    let end = after.range[1];
    while (text[end] === ' ' || text[end] === '\t') end++;
    if (aloneFromLineStart && (text[end] === '\n' || text[end] === '\r')) return [fixer.removeRange([lineStart, text[end] === '\r' ? end + 2 : end + 1])];
    return [fixer.removeRange([property.range[0], end])];
  }
  // The last property: its comma goes, and the property (with its line, when it is alone on it).
  const fixes: TSESLint.RuleFix[] = [];
  const comma = before && before.value === ',' ? before : null;
  const lineEnd = text.indexOf('\n', property.range[1]);
  const restOfLine = text.slice(property.range[1], lineEnd === -1 ? text.length : lineEnd);
  const commentsBetween = comma ? sourceCode.getCommentsBefore(property).some((c) => c.range[0] > comma.range[0]) : false;
  if (aloneFromLineStart && lineStart > 0 && restOfLine.trim() === '') {
    if (comma) fixes.push(fixer.remove(comma as TSESTree.Token));
    fixes.push(fixer.removeRange([lineStart - 1, property.range[1]]));
  } else if (comma && !commentsBetween) {
    fixes.push(fixer.removeRange([comma.range[0], property.range[1]]));
  } else {
    if (comma) fixes.push(fixer.remove(comma as TSESTree.Token));
    fixes.push(fixer.remove(property));
  }
  return fixes;
}

export default noLibpqOptions;
