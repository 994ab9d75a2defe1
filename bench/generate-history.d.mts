/** Types for generate-history.mjs (used by the benchmark and by test/cli/parse-workers.test.ts). */
export function generateHistory(dir: string, options?: { files?: number; seed?: number; definerInEveryFile?: boolean }): { files: number; statements: number };
export function generateApp(dir: string, options?: { files?: number }): void;
export function generateSeedHistory(dir: string, options?: { files?: number; rows?: number }): { files: number; statements: number };
export function generateFunctionHeavyHistory(dir: string, options?: { files?: number; seed?: number }): { files: number; statements: number };
export function generateFindingHeavyHistory(dir: string, options?: { files?: number }): { files: number; statements: number };
