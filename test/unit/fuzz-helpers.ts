// What the fuzz tests share: run counts, random chunkings of a byte string, a stream of chunks,
// and the check that anything thrown is a typed DockerError.
import fc from "fast-check";
import { DockerError } from "../../src/errors/errors.ts";

// BERTH_FUZZ_RUNS raises the count for a longer hunt (the default keeps the unit suite quick).
export const RUNS = Number(process.env.BERTH_FUZZ_RUNS) || 300;
/** One async run taking this long is a hang: fast-check then reports it as a counterexample. */
export const HANG = 5_000;

/** How `chunked` cuts. */
export interface ChunkingOptions {
  /** Views of `bytes` (one buffer, as a reader that hands out slices of its block) instead of fresh copies (as a socket delivers them). */
  views?: boolean;
  /** Cut once at each point, so no chunk is empty (by default a repeated point makes an empty chunk, on purpose). */
  distinct?: boolean;
}

/** Cuts `bytes` at the given points (taken modulo its length + 1), in order. */
export function chunked(bytes: Uint8Array, cuts: number[], { views = false, distinct = false }: ChunkingOptions = {}): Uint8Array[] {
  const at = cuts.map((c) => c % (bytes.length + 1));
  const points = (distinct ? [...new Set(at)] : at).sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    out.push(views ? bytes.subarray(prev, p) : bytes.slice(prev, p));
    prev = p;
  }
  return out;
}

export const cutsArb = fc.array(fc.nat({ max: 1 << 20 }), { maxLength: 24 });

export { concat, sourceOf as source } from "./frames.ts";

/** Anything thrown must be a DockerError (of the expected class); returns it, or undefined. */
export function typed<E extends DockerError>(fn: () => void, Class: new (...args: never[]) => E = DockerError as never): E | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (!(err instanceof Class)) throw new Error(`expected a ${Class.name}, got ${String(err)}`, { cause: err });
    return err;
  }
}

export async function typedAsync<E extends DockerError>(fn: () => Promise<unknown>, Class: new (...args: never[]) => E = DockerError as never): Promise<E | undefined> {
  try {
    await fn();
    return undefined;
  } catch (err) {
    if (!(err instanceof Class)) throw new Error(`expected a ${Class.name}, got ${String(err)}`, { cause: err });
    return err;
  }
}

/** Bytes that look like what a parser expects often enough to get past its first checks. */
export function biasedBytes(alphabet: number[], maxLength = 300): fc.Arbitrary<Uint8Array> {
  return fc
    .array(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...alphabet) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }), { maxLength })
    .map((a) => Uint8Array.from(a));
}
