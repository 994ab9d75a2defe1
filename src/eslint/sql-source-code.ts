/**
 * The SourceCode of a `.sql` file for ESLint: statements as nodes, comments for directives.
 *
 * The root is a `Script`, not ESTree's `Program`: a config without `files` (`@eslint/js`
 * recommended, typescript-eslint's rules) turns JavaScript rules on for `.sql` files too, and
 * their `Program` listeners expect an ESTree tree with scopes. As in @eslint/json (`Document`)
 * and @eslint/css (`StyleSheet`), those listeners never fire here. What such rules call when
 * they are created, on any file, is offered with SQL's answers: the comments, the text and lines,
 * no tokens, an empty scope manager, parser services with an empty program
 * (test/eslint/presets.test.ts creates every core and typescript-eslint rule on a `.sql` file).
 */
import { ConfigCommentParser, Directive, TextSourceCodeBase, VisitNodeStep } from '@eslint/plugin-kit';
import type { AstNode } from '../sql/parse.js';
import { emptyParserServices, emptyScopeManager } from './javascript-rule-support.js';
import { RULE_PREFIX } from '../findings.js';
import { readSuppressions, SUPPRESSION_KEYWORD } from '../gate/suppressions.js';
import type { SourceLocation } from '../model/catalog.js';
import { SourceText } from '../sql/source.js';
import { sqlRules } from '../../rules/sql/index.js';

export interface SqlLocation {
  start: { line: number; column: number };
  end: { line: number; column: number };
}

export interface SqlComment {
  type: 'LineComment' | 'BlockComment';
  value: string;
  range: [number, number];
  loc: SqlLocation;
}

export interface SqlStatementNode {
  type: 'Statement';
  /** libpg-query's statement node type, e.g. `CreatePolicyStmt`. */
  kind: string;
  /** The statement's libpg-query AST. */
  pg: AstNode;
  range: [number, number];
  loc: SqlLocation;
}

export interface SqlScript {
  type: 'Script';
  body: SqlStatementNode[];
  comments: SqlComment[];
  range: [number, number];
  loc: SqlLocation;
}

type SqlNode = SqlScript | SqlStatementNode;

/** A comment as ESTree rules read it from `getAllComments()`: `Line` for `--`, `Block` for `/* *\/`. */
export interface EstreeComment {
  type: 'Line' | 'Block';
  value: string;
  range: [number, number];
  loc: SqlLocation;
}

export const SQL_VISITOR_KEYS: Record<string, string[]> = { Script: ['body'], Statement: [] };

const commentParser = new ConfigCommentParser();
const KNOWN_RULES: ReadonlySet<string> = new Set(sqlRules.map((r) => r.id));
const locOf = (l: SourceLocation): SqlLocation => ({ start: { line: l.line, column: l.column }, end: { line: l.endLine, column: l.endColumn } });
const DIRECTIVE = /^\s*(?:eslint(?:-enable|-disable(?:(?:-next)?-line)?)?)(?:\s|$)/u;

export class SqlSourceCode extends TextSourceCodeBase<{
  LangOptions: Record<string, never>;
  RootNode: SqlScript;
  SyntaxElementWithLoc: SqlNode | SqlComment;
  ConfigNode: SqlComment;
}> {
  override ast: SqlScript;
  readonly comments: SqlComment[];
  readonly hasBOM: boolean;
  readonly visitorKeys = SQL_VISITOR_KEYS;
  /** Services typescript-eslint's typed rules can be created with, holding no TypeScript node (javascript-rule-support.ts). */
  readonly parserServices = emptyParserServices();
  /** ESTree's tokens and comments: SQL has no JavaScript tokens, so the comments (read by `indent` when it is created). */
  readonly tokensAndComments: EstreeComment[];
  #estreeComments: EstreeComment[];
  #steps: VisitNodeStep[] | undefined;
  #parents = new WeakMap<object, SqlNode>();

  constructor({ text, ast }: { text: string; ast: SqlScript }) {
    super({ text, ast });
    this.ast = ast;
    this.comments = ast.comments;
    this.hasBOM = text.charCodeAt(0) === 0xfeff;
    this.#estreeComments = ast.comments.map((c) => ({ type: c.type === 'LineComment' ? 'Line' : 'Block', value: c.value, range: c.range, loc: c.loc }));
    this.tokensAndComments = this.#estreeComments;
  }

  /** The SQL comments, shaped as ESTree comments (`no-irregular-whitespace`, `no-warning-comments` read them). */
  getAllComments(): EstreeComment[] {
    return this.#estreeComments;
  }

  /** An empty module's scopes: SQL declares no JavaScript variable (javascript-rule-support.ts). */
  get scopeManager(): ReturnType<typeof emptyScopeManager> {
    return emptyScopeManager();
  }

  /** The empty global scope, for any node: what JavaScript rules ask for when they are created. */
  getScope(): ReturnType<typeof emptyScopeManager>['globalScope'] {
    return emptyScopeManager().globalScope;
  }

  getDeclaredVariables(): [] {
    return [];
  }

  // ESTree's token store, for JavaScript rules with wildcard (`*:exit`) listeners, such as
  // `indent`, that fire on SQL nodes too: SQL has no JavaScript tokens.
  getFirstToken(): null {
    return null;
  }
  getLastToken(): null {
    return null;
  }
  getTokenBefore(): null {
    return null;
  }
  getTokenAfter(): null {
    return null;
  }
  getTokens(): [] {
    return [];
  }
  getFirstTokens(): [] {
    return [];
  }
  getLastTokens(): [] {
    return [];
  }
  getTokensBetween(): [] {
    return [];
  }

  getInlineConfigNodes(): SqlComment[] {
    return this.comments.filter((c) => DIRECTIVE.test(c.value));
  }

  getDisableDirectives(): { problems: { ruleId: null; message: string; loc: SqlLocation }[]; directives: Directive[] } {
    const problems: { ruleId: null; message: string; loc: SqlLocation }[] = [];
    const directives: Directive[] = [];
    for (const comment of this.getInlineConfigNodes()) {
      const { label, value, justification } = commentParser.parseDirective(comment.value) ?? {};
      if (!label) continue;
      if (label === 'eslint-disable-line' && comment.loc.start.line !== comment.loc.end.line) {
        problems.push({ ruleId: null, message: `${label} comment should not span multiple lines.`, loc: comment.loc });
        continue;
      }
      if (['eslint-disable', 'eslint-enable', 'eslint-disable-next-line', 'eslint-disable-line'].includes(label)) {
        directives.push(new Directive({ type: label.slice('eslint-'.length) as 'disable', node: comment, value: value ?? '', justification: justification ?? '' }));
      }
    }
    this.#addIgnoreDirectives(directives, problems);
    return { problems, directives };
  }

  /**
   * `-- rls-guard-ignore <rule>: <reason>` (src/gate/suppressions.ts), as ESLint directives, so
   * ESLint suppresses what `rls-guard check` suppresses and reports an unused one. The comment
   * applies to the statement that starts on its line (`eslint-disable-line`) or after it, across
   * other comment lines (`eslint-disable-next-line` of that statement's first line).
   */
  #addIgnoreDirectives(directives: Directive[], problems: { ruleId: null; message: string; loc: SqlLocation }[]): void {
    if (!this.text.includes(SUPPRESSION_KEYWORD)) return;
    const source = new SourceText(this.text);
    const read = readSuppressions('', { source }, KNOWN_RULES);
    for (const p of read.problems) problems.push({ ruleId: null, message: p.message, loc: locOf(p.location) });
    for (const suppression of read.suppressions) {
      const comment = this.comments.find((c) => c.loc.start.line === suppression.location.line && c.loc.start.column === suppression.location.column);
      if (!comment) continue;
      const value = `${RULE_PREFIX}${suppression.ruleId}`;
      const statementLine = suppression.statement ? source.position(suppression.statement.start).line : null;
      if (statementLine === comment.loc.start.line) {
        directives.push(new Directive({ type: 'disable-line', node: comment, value, justification: suppression.reason }));
      } else {
        // ESLint's disable-next-line covers the line after its node's end: end the node just above the statement.
        const end = statementLine === null ? comment.loc.end : { line: statementLine - 1, column: 1 };
        directives.push(new Directive({ type: 'disable-next-line', node: { ...comment, loc: { start: comment.loc.start, end } }, value, justification: suppression.reason }));
      }
    }
  }

  applyInlineConfig(): { configs: { config: { rules: Record<string, unknown> }; loc: SqlLocation }[]; problems: { ruleId: null; message: string; loc: SqlLocation }[] } {
    const configs: { config: { rules: Record<string, unknown> }; loc: SqlLocation }[] = [];
    const problems: { ruleId: null; message: string; loc: SqlLocation }[] = [];
    for (const comment of this.getInlineConfigNodes()) {
      const directive = commentParser.parseDirective(comment.value);
      if (directive?.label !== 'eslint') continue;
      const parsed = commentParser.parseJSONLikeConfig(directive.value);
      if (parsed.ok) configs.push({ config: { rules: parsed.config as Record<string, unknown> }, loc: comment.loc });
      else problems.push({ ruleId: null, message: parsed.error.message, loc: comment.loc });
    }
    return { configs, problems };
  }

  override getParent(node: SqlNode): SqlNode | undefined {
    return this.#parents.get(node);
  }

  override traverse(): Iterable<VisitNodeStep> {
    if (this.#steps) return this.#steps.values();
    const steps: VisitNodeStep[] = [];
    steps.push(new VisitNodeStep({ target: this.ast, phase: 1, args: [this.ast, undefined] }));
    for (const statement of this.ast.body) {
      this.#parents.set(statement, this.ast);
      steps.push(new VisitNodeStep({ target: statement, phase: 1, args: [statement, this.ast] }));
      steps.push(new VisitNodeStep({ target: statement, phase: 2, args: [statement, this.ast] }));
    }
    steps.push(new VisitNodeStep({ target: this.ast, phase: 2, args: [this.ast, undefined] }));
    this.#steps = steps;
    return steps.values();
  }
}
