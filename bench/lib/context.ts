/** What index.ts hands every benchmark. */
import type { Stack } from './stack.js';

export interface BenchContext {
  /** --quick: fewer pages, documents and repeats (the whole suite in under 3 minutes). */
  quick: boolean;
  /** Cores available to this process (os.availableParallelism()). */
  cores: number;
  /** A temporary directory of the run (removed at the end). */
  tmp: string;
  /** One progress line on stderr (tables go to stdout). */
  progress(msg: string): void;
  /** The shared Temporal + Postgres + LLM server stack, started on first use. */
  stack(): Promise<Stack>;
}
