import { measureOursOnly } from './cpu-section.ts';
import { buildWorkload } from './workload.ts';

/** Run by `oursWithDefaultHeap` (bench/node-flags.ts): path (3) alone; prints one JSON line. */
const [runs, warmups] = process.argv.slice(2).map(Number);
const figures = await measureOursOnly(buildWorkload(), { runs, warmups });
process.stdout.write(`${JSON.stringify(figures)}\n`);
