/**
 * A scan streams with a flat live set (tens of MB), but V8 sizes its heap from the machine's
 * memory and lets garbage pile up towards it: on a 24 GiB machine a 1M-line scan reached 350 MB of
 * RSS with Node's default limit, 220 MB with a 1 GiB old-space limit, at the same speed. So
 * `bin/silent-audit.mjs` runs `scan` in a Node started with this limit, unless one was given
 * (`NODE_OPTIONS=--max-old-space-size=…`); the bench measures the scan the same way.
 */
export const SCAN_HEAP_MB = 1024;
