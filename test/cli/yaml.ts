/**
 * Just enough YAML for the repository's CI files (block mappings and sequences, plain and quoted
 * scalars, `|` block scalars, full-line comments), so their tests assert structure, not text.
 * Anything outside that subset throws, so a file drifting beyond it fails loudly.
 */
type Yaml = string | boolean | null | Yaml[] | { [key: string]: Yaml };

export function parseYaml(text: string): Yaml {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  let i = 0;
  const skippable = (l: string) => /^\s*(#.*)?$/.test(l);
  const indentOf = (l: string) => l.length - l.trimStart().length;
  const skip = () => {
    while (i < lines.length && skippable(lines[i]!)) i++;
  };

  function scalar(s: string): Yaml {
    if (s.startsWith("'")) {
      if (!s.endsWith("'") || s.length < 2) throw new Error(`yaml: unterminated quote at line ${i}: ${s}`);
      return s.slice(1, -1).replace(/''/g, "'");
    }
    if (s.startsWith('"')) return JSON.parse(s) as string;
    if (s === 'true' || s === 'false') return s === 'true';
    if (/^[[{&*!|>%@`]/.test(s) || / #/.test(s)) throw new Error(`yaml: unsupported scalar at line ${i}: ${s}`);
    return s;
  }

  function blockScalar(parentIndent: number): string {
    const body: string[] = [];
    let blockIndent = -1;
    while (i < lines.length) {
      const l = lines[i]!;
      if (l.trim() === '') {
        body.push('');
        i++;
        continue;
      }
      if (indentOf(l) <= parentIndent) break;
      if (blockIndent < 0) blockIndent = indentOf(l);
      body.push(l.slice(blockIndent));
      i++;
    }
    while (body.length && body[body.length - 1] === '') body.pop();
    return `${body.join('\n')}\n`;
  }

  function block(indent: number): Yaml {
    skip();
    return lines[i]!.trimStart().startsWith('-') ? sequence(indent) : mapping(indent);
  }

  function value(rest: string | undefined, ownIndent: number): Yaml {
    if (rest === '|') return blockScalar(ownIndent);
    if (rest !== undefined && rest !== '') return scalar(rest);
    skip();
    if (i >= lines.length) return null;
    const next = indentOf(lines[i]!);
    if (next > ownIndent) return block(next);
    if (next === ownIndent && lines[i]!.trimStart().startsWith('- ')) return sequence(next);
    return null;
  }

  function mapping(indent: number): { [key: string]: Yaml } {
    const out: { [key: string]: Yaml } = {};
    for (;;) {
      skip();
      if (i >= lines.length) return out;
      const line = lines[i]!;
      const ind = indentOf(line);
      if (ind < indent || line.trimStart().startsWith('- ')) return out;
      if (ind > indent) throw new Error(`yaml: bad indentation at line ${i + 1}`);
      const m = /^([A-Za-z0-9_$.\-]+):(?:\s+(.*))?$/.exec(line.trim());
      if (!m) throw new Error(`yaml: expected "key: value" at line ${i + 1}: ${line}`);
      if (m[1]! in out) throw new Error(`yaml: duplicate key ${m[1]} at line ${i + 1}`);
      i++;
      out[m[1]!] = value(m[2], ind);
    }
  }

  function sequence(indent: number): Yaml[] {
    const out: Yaml[] = [];
    for (;;) {
      skip();
      if (i >= lines.length) return out;
      const line = lines[i]!;
      const trimmed = line.trimStart();
      if (indentOf(line) !== indent || !trimmed.startsWith('-')) return out;
      const after = trimmed.slice(1).trimStart();
      const itemIndent = indent + (trimmed.length - after.length);
      if (after === '|') {
        i++;
        out.push(blockScalar(indent));
      } else if (/^[A-Za-z0-9_$.\-]+:(\s|$)/.test(after)) {
        lines[i] = ' '.repeat(itemIndent) + after;
        out.push(mapping(itemIndent));
      } else {
        i++;
        out.push(scalar(after));
      }
    }
  }

  const doc = block(0);
  skip();
  if (i < lines.length) throw new Error(`yaml: unexpected content at line ${i + 1}: ${lines[i]}`);
  return doc;
}
