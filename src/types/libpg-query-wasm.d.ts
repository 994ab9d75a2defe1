/** libpg-query's emscripten module factory (see src/sql/pg-parser.ts). */
declare module 'libpg-query/wasm/libpg-query.js' {
  const factory: (moduleArg?: object) => Promise<unknown>;
  export default factory;
}
