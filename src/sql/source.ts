/** A source file's text with the position arithmetic every surface needs. */

export interface Position {
  /** 1-based line. */
  line: number;
  /** 1-based column, in UTF-16 code units as ESLint and editors count them. */
  column: number;
}

export class SourceText {
  readonly lineStarts: number[];
  /** For non-ASCII text: character index of every UTF-8 byte offset (libpg-query reports bytes). */
  private byteToChar: Uint32Array | null = null;
  private readonly ascii: boolean;

  constructor(readonly text: string) {
    this.lineStarts = [0];
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
    this.ascii = Buffer.byteLength(text, 'utf8') === text.length;
  }

  /** Converts a UTF-8 byte offset (as libpg-query reports them) to a character offset. */
  charOffset(byteOffset: number): number {
    if (this.ascii) return Math.min(byteOffset, this.text.length);
    if (!this.byteToChar) this.byteToChar = buildByteToChar(this.text);
    const map = this.byteToChar;
    return map[Math.max(0, Math.min(byteOffset, map.length - 1))]!;
  }

  /** Converts a character offset to a UTF-8 byte offset. */
  byteOffset(charOffset: number): number {
    if (this.ascii) return charOffset;
    return Buffer.byteLength(this.text.slice(0, charOffset), 'utf8');
  }

  position(charOffset: number): Position {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= charOffset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: charOffset - this.lineStarts[lo]! + 1 };
  }
}

function buildByteToChar(text: string): Uint32Array {
  const map = new Uint32Array(Buffer.byteLength(text, 'utf8') + 1);
  let b = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.codePointAt(i)!;
    const width = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    for (let k = 0; k < width; k++) map[b + k] = i;
    b += width;
    if (code >= 0x10000) i++; // surrogate pair: two UTF-16 units, one code point
  }
  map[b] = text.length;
  return map;
}
