// The assertions the engine scenarios use: small, and the same code under Node, Bun and Deno, so a
// scenario fails for the same reason whichever runtime runs it.

export class AssertionError extends Error {
  override name = "AssertionError";
}

export interface Assert {
  /** Fails unless `value` is truthy. */
  ok(value: unknown, message?: string): void;
  /** Deep, strict equality (plain objects, arrays, Uint8Array, Date, primitives by Object.is). */
  equal<T>(actual: T, expected: T, message?: string): void;
  /** Fails unless `text` matches `pattern`. */
  match(text: string, pattern: RegExp, message?: string): void;
  /** Fails unless the string contains `part`, or the array holds an element equal to it (deep). */
  includes(haystack: string | readonly unknown[] | undefined | null, part: unknown, message?: string): void;
  /** Awaits `promise`, expecting it to reject with an instance of `type`; returns the error. */
  rejects<E extends Error>(promise: Promise<unknown>, type: abstract new (...args: never[]) => E, message?: string): Promise<E>;
}

function show(value: unknown): string {
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  if (typeof value === "string") return JSON.stringify(value.length > 300 ? `${value.slice(0, 300)}...(${value.length} chars)` : value);
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 600 ? `${text.slice(0, 600)}...` : text;
  } catch {
    return String(value);
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  // Bytes compare by content, whatever the subclass (a Node or Bun Buffer is a Uint8Array).
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (a instanceof Date) return a.getTime() === (b as Date).getTime();
  if (Array.isArray(a)) {
    const c = b as unknown[];
    return a.length === c.length && a.every((v, i) => deepEqual(v, c[i]));
  }
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export const assert: Assert = {
  ok(value: unknown, message?: string): void {
    if (!value) throw new AssertionError(message ?? `expected a truthy value, got ${show(value)}`);
  },
  equal<T>(actual: T, expected: T, message?: string): void {
    if (!deepEqual(actual, expected)) {
      throw new AssertionError(`${message ? `${message}: ` : ""}expected ${show(expected)}, got ${show(actual)}`);
    }
  },
  match(text: string, pattern: RegExp, message?: string): void {
    if (typeof text !== "string" || !pattern.test(text)) {
      throw new AssertionError(`${message ? `${message}: ` : ""}expected ${show(text)} to match ${pattern}`);
    }
  },
  includes(haystack: string | readonly unknown[] | undefined | null, part: unknown, message?: string): void {
    const found = typeof haystack === "string" ? typeof part === "string" && haystack.includes(part) : Array.isArray(haystack) && haystack.some((v) => deepEqual(v, part));
    if (!found) throw new AssertionError(`${message ? `${message}: ` : ""}expected ${show(haystack)} to include ${show(part)}`);
  },
  async rejects<E extends Error>(promise: Promise<unknown>, type: abstract new (...args: never[]) => E, message?: string): Promise<E> {
    let outcome: unknown;
    try {
      outcome = await promise;
    } catch (err) {
      if (err instanceof type) return err;
      throw new AssertionError(`${message ? `${message}: ` : ""}expected a ${type.name}, got ${(err as Error)?.name}: ${(err as Error)?.message}`);
    }
    throw new AssertionError(`${message ? `${message}: ` : ""}expected a ${type.name}, but it resolved with ${show(outcome)}`);
  },
};
