/**
 * Node's command-line options for the functions, as `NODE_OPTIONS`. One place, read by the stack
 * (`AuditFunction`) and by the bench, which times the ingest path (3), its cold init and its peak
 * memory with them (docs/performance.md, "Garbage collection").
 */

/** Every function: stack traces through the bundles' source maps. */
export const BASE_NODE_OPTIONS: readonly string[] = ['--enable-source-maps'];

/**
 * The ingest function's (256 MB) V8 young generation: 16 MiB semi-spaces, pinned.
 *
 * A larger young generation scavenges less often (the states a batch holds across lines are
 * copied at each scavenge), so the ingest path runs faster with it, but it stays resident: a
 * 1 MiB-gzip batch in a warm container peaked at 188–195 MB RSS with 16 MiB, 219–227 MB with 32
 * and 252–267 MB with 64 (Node 20, as the bench runs; Node 24: 207–230, 244–249 and 285–311 MB).
 * 16 MiB is the largest that leaves the 256 MB function a margin; sizes in between round up to a
 * power of two.
 *
 * Pinned because the default is not the same everywhere: Node 20 takes 16 MiB, Node 24 (the
 * functions' runtime) 64 MiB, which would not fit that batch in 256 MB. Lambda's bootstrap of its
 * Node runtimes passes `--max-semi-space-size` (memory / 20: 12, so 16 MiB, at 256 MB) on node's
 * command line, which wins over `NODE_OPTIONS`: there this changes nothing; a runtime that did not
 * would otherwise give the function Node 24's 64 MiB. The Kinesis consumer (1 GB) is left to the
 * runtime's 64 MiB, which fits it. Measurements: docs/performance.md, "Garbage collection".
 */
export const INGEST_V8_FLAGS: readonly string[] = ['--max-semi-space-size=16'];

/** `NODE_OPTIONS` of a function given its own V8 flags beside the base options. */
export function nodeOptions(v8Flags: readonly string[] = []): string {
  return [...BASE_NODE_OPTIONS, ...v8Flags].join(' ');
}
