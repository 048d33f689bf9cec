/** Resolves after `ms` milliseconds, on the global timer (so tests' fake timers move it). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
