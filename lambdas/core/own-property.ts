/**
 * Sets `key` on `target` as an own, enumerable data property, as `JSON.parse` and an object
 * spread make it, even when the key is `__proto__`: an assignment would set the prototype instead.
 * Names that come from log lines (action names, hosts, JSON keys) can be anything.
 */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/**
 * Whether a key is an array index (`"42"`: an integer below 2^32 - 1 written without sign or
 * leading zero), which an object lists first, by number, before its other keys in the order they
 * were added.
 */
export function isIndexKey(key: string): boolean {
  return /^(?:0|[1-9][0-9]{0,9})$/.test(key) && Number(key) <= 4_294_967_294;
}

/**
 * `record[key]` when it is the record's own property, else undefined. A config section
 * (`jobs`, `tools`, …) looked up by a name from a log line must not find what every object
 * inherits: `tools.constructor` would otherwise be the `Object` function.
 */
export function ownValue<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Whether a value is a plain object (`{…}` or `Object.create(null)`), not an array, a class instance or a Map. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
