/** Lines longer than CloudWatch's classic event limit (in bytes of UTF-8) are refused before any parsing. */
export const MAX_LINE_BYTES = 256 * 1024;
