/**
 * Sets `key` on `target` as an own, enumerable data property, as `JSON.parse` and an object
 * spread make it, even when the key is `__proto__`: an assignment would set the prototype instead.
 * Names that come from log lines (action names, hosts, JSON keys) can be anything.
 */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
