// How errors are recognised when an app holds two copies of berth (two versions in node_modules,
// or one bundled twice): `instanceof` compares classes, and each copy has its own. So every
// error class carries a brand on its prototype under a key shared by all copies
// (`Symbol.for`), and DockerError's Symbol.hasInstance accepts a value whose prototype chain
// holds the same brand. Kept apart from errors.ts, whose every export is public.

const BRAND: unique symbol = Symbol.for("berth-docker.error");

type Branded = { [BRAND]?: string };

/**
 * Marks `Class` with `name`, its brand and the `name` of its errors. Called from a static block,
 * once per class; the brand never changes, as copies of different versions compare it.
 */
export function brand(Class: { prototype: object }, name: string): void {
  Object.defineProperty(Class.prototype, BRAND, { value: name });
}

/** The brand of the nearest branded class of `target`: a subclass without one is named by its parent. */
export function brandOf(target: { prototype: object }): string | undefined {
  return (target.prototype as Branded)[BRAND];
}

/** True when some prototype of `value` carries `Class`'s own brand, whichever copy made it. */
export function hasBrand(value: unknown, Class: { prototype: object }): boolean {
  if (!Object.hasOwn(Class.prototype, BRAND)) return false; // an app's own subclass: plain instanceof
  const wanted = (Class.prototype as Branded)[BRAND];
  for (let p = typeof value === "object" && value !== null ? Object.getPrototypeOf(value) : null; p; p = Object.getPrototypeOf(p)) {
    if (Object.hasOwn(p, BRAND) && (p as Branded)[BRAND] === wanted) return true;
  }
  return false;
}
