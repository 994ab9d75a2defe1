/**
 * The calls into libpg-query's WASM build of PostgreSQL's parser.
 *
 * libpg-query's `parseSync` is a thin wrapper over two exported C functions; this module makes the
 * same calls with cheaper string handling, because a migration history is parsed file by file and
 * the copies dominate the JavaScript side: the text goes into WASM memory with `TextEncoder`
 * (native) instead of a JavaScript UTF-8 loop, and the JSON tree comes back by finding its end
 * with `Uint8Array.indexOf` (native) instead of a JavaScript loop over every byte. The results are
 * the same (test/sql/pg-parser.test.ts compares them with libpg-query's own functions).
 *
 * It relies on libpg-query's emscripten module (`wasm/libpg-query.js`), pinned in package-lock.json:
 * `_wasm_parse_query_raw` returns a `PgQueryParseResult { char *parse_tree; char *stderr_buffer;
 * PgQueryError *error; }` and `PgQueryError { char *message; char *funcname; char *filename;
 * int lineno; int cursorpos; ... }` (32-bit pointers), freed by `_wasm_free_parse_result`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import PgQueryModule from 'libpg-query/wasm/libpg-query.js';

interface EmscriptenModule {
  HEAPU8: Uint8Array;
  HEAPU32: Uint32Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  _wasm_parse_query_raw(queryPtr: number): number;
  _wasm_free_parse_result(resultPtr: number): void;
  _wasm_parse_plpgsql(queryPtr: number): number;
  _wasm_free_string(ptr: number): void;
}

/**
 * A syntax error as PostgreSQL reports it: the message and the 0-based position of the cursor,
 * counted in characters (code points), as PostgreSQL's error position is, not in bytes.
 */
export interface PgSyntaxError {
  message: string;
  cursor: number;
}

let module: EmscriptenModule | null = null;
let loading: Promise<void> | null = null;
let compiled: WebAssembly.Module | null = null;

/**
 * The compiled WASM module: compiled once per process, instantiated once per thread. Compiled
 * synchronously: V8 compiles lazily either way, and the asynchronous WebAssembly.compile left
 * ~90 ms of work that stalled the thread at its first turn of the event loop after parsing began.
 */
export function compiledPgParser(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(createRequire(import.meta.url).resolve('libpg-query/wasm/libpg-query.wasm')));
  return compiled;
}

/**
 * Instantiates the WASM parser once per thread. A worker thread passes the module its parent
 * compiled: the threads then share V8's compiled code, including what is optimized while parsing.
 */
export function loadPgParser(shared?: WebAssembly.Module): Promise<void> {
  loading ??= (async () => {
    const wasm = shared ?? compiledPgParser();
    const factory = PgQueryModule as (arg: object) => Promise<EmscriptenModule>;
    module = await factory({
      instantiateWasm(imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance) => void) {
        void WebAssembly.instantiate(wasm, imports).then(done);
        return {};
      },
    });
  })();
  return loading;
}

export function isPgParserLoaded(): boolean {
  return module !== null;
}

function loaded(): EmscriptenModule {
  if (!module) throw new Error('The SQL parser is not loaded: await loadPgParser() first.');
  return module;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Copies `text` into WASM memory as a NUL-terminated UTF-8 string; the caller frees it. */
function toWasm(m: EmscriptenModule, text: string): number {
  // At most 3 bytes per UTF-16 code unit; encodeInto writes the exact bytes.
  const capacity = text.length * 3 + 1;
  const ptr = m._malloc(capacity);
  const { written } = encoder.encodeInto(text, m.HEAPU8.subarray(ptr, ptr + capacity - 1));
  m.HEAPU8[ptr + written] = 0;
  return ptr;
}

/** Reads a NUL-terminated UTF-8 string out of WASM memory. */
function fromWasm(m: EmscriptenModule, ptr: number): string {
  const heap = m.HEAPU8;
  const end = heap.indexOf(0, ptr);
  return decoder.decode(heap.subarray(ptr, end < 0 ? heap.length : end));
}

/**
 * Parses SQL text; returns the parse tree's JSON text (libpg-query's `{ version, stmts }`) or
 * the syntax error. The caller JSON.parses the text (or passes it on to another thread).
 */
export function parseToJson(text: string): { json: string } | { error: PgSyntaxError } {
  const parsed = parseRaw(text, fromWasm);
  return 'error' in parsed ? parsed : { json: parsed.tree };
}

/**
 * As `parseToJson`, for a caller that decodes only the parts of the JSON it needs: `consume`
 * gets the JSON's UTF-8 bytes as a view of WASM memory, valid only during the call (it must not
 * call the parser), and its result is returned. No copy of the whole JSON is made.
 */
export function parseToJsonBytes<T>(text: string, consume: (bytes: Buffer) => T): { tree: T } | { error: PgSyntaxError } {
  return parseRaw(text, (m, ptr) => {
    const heap = m.HEAPU8;
    const end = heap.indexOf(0, ptr);
    return consume(Buffer.from(heap.buffer, heap.byteOffset + ptr, (end < 0 ? heap.length : end) - ptr));
  });
}

function parseRaw<T>(text: string, read: (m: EmscriptenModule, ptr: number) => T): { tree: T } | { error: PgSyntaxError } {
  const m = loaded();
  const queryPtr = toWasm(m, text);
  let resultPtr = 0;
  try {
    resultPtr = m._wasm_parse_query_raw(queryPtr);
    if (!resultPtr) throw new Error('libpg-query: out of memory');
    // Memory may have grown during the parse: read through the current views.
    const words = m.HEAPU32;
    const treePtr = words[resultPtr >>> 2]!;
    const errorPtr = words[(resultPtr + 8) >>> 2]!;
    if (errorPtr) {
      const messagePtr = words[errorPtr >>> 2]!;
      const cursorpos = words[(errorPtr + 16) >>> 2]! | 0;
      return { error: { message: messagePtr ? fromWasm(m, messagePtr) : 'syntax error', cursor: cursorpos > 0 ? cursorpos - 1 : 0 } };
    }
    if (!treePtr) throw new Error('libpg-query: no parse tree');
    return { tree: read(m, treePtr) };
  } finally {
    m._free(queryPtr);
    if (resultPtr) m._wasm_free_parse_result(resultPtr);
  }
}

/** Parses a PL/pgSQL function (its whole CREATE FUNCTION text); returns the tree's JSON text or null. */
export function parsePlpgsqlToJson(text: string): string | null {
  const m = loaded();
  const queryPtr = toWasm(m, text);
  let resultPtr = 0;
  try {
    resultPtr = m._wasm_parse_plpgsql(queryPtr);
    if (!resultPtr) return null;
    const result = fromWasm(m, resultPtr);
    // Success is a JSON object; anything else is an error message.
    return result.startsWith('{') ? result : null;
  } finally {
    m._free(queryPtr);
    if (resultPtr) m._wasm_free_string(resultPtr);
  }
}
