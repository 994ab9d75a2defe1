/** The SourceCode of a `.sql` file for ESLint: statements as nodes, comments for directives. */
import { ConfigCommentParser, Directive, TextSourceCodeBase, VisitNodeStep } from '@eslint/plugin-kit';
import type { AstNode } from '../sql/parse.js';

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

export interface SqlProgram {
  type: 'Program';
  body: SqlStatementNode[];
  comments: SqlComment[];
  range: [number, number];
  loc: SqlLocation;
}

type SqlNode = SqlProgram | SqlStatementNode;

const commentParser = new ConfigCommentParser();
const DIRECTIVE = /^\s*(?:eslint(?:-enable|-disable(?:(?:-next)?-line)?)?)(?:\s|$)/u;

export class SqlSourceCode extends TextSourceCodeBase<{
  LangOptions: Record<string, never>;
  RootNode: SqlProgram;
  SyntaxElementWithLoc: SqlNode | SqlComment;
  ConfigNode: SqlComment;
}> {
  override ast: SqlProgram;
  readonly comments: SqlComment[];
  #steps: VisitNodeStep[] | undefined;
  #parents = new WeakMap<object, SqlNode>();

  constructor({ text, ast }: { text: string; ast: SqlProgram }) {
    super({ text, ast });
    this.ast = ast;
    this.comments = ast.comments;
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
    return { problems, directives };
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
