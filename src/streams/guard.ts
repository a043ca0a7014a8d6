// One wrapper for a response body that several layers each need to watch: the fetch transport maps
// fetch's read errors and confirms the end of a body delimited by the connection's end; the request
// engine ends the call's deadline and reports its timeouts and aborts. Each used to wrap the body in
// a ReadableStream of its own, two stream hops per piece on every fetch runtime. A guard given a
// body that is already guarded, and not read yet, joins that body's wrapper instead of adding one:
// the layers then run in the order they were added, exactly as the nested wrappers did.

/** What one layer does with a body it watches. */
export interface BodyGuard {
  /** What a failure reading the body (or of an earlier layer's `end`) means; the result is thrown. */
  error?(err: unknown): unknown;
  /**
   * Called once when the body is over: `clean` at its end, where a returned promise delays the end
   * and a throw fails the read instead; not clean when reading failed or the body was cancelled.
   */
  end?(clean: boolean): void | Promise<void>;
}

interface Wrapper {
  readonly guards: BodyGuard[];
  /** Read or cancelled at least once: a guard added now would miss what already happened. */
  started: boolean;
}

/** The wrappers made here, by the stream they return. */
const WRAPPERS = new WeakMap<ReadableStream<unknown>, Wrapper>();

/**
 * `source` under `guard`: read errors go through `guard.error`, and `guard.end` runs when the body is
 * over. One ReadableStream hop (no read-ahead) however many guards watch it; cancelling the result
 * ends every guard and cancels `source`, which releases its connection.
 */
export function guardBody<T>(source: ReadableStream<T>, guard: BodyGuard): ReadableStream<T> {
  const joined = WRAPPERS.get(source);
  if (joined !== undefined && !joined.started && !source.locked) {
    joined.guards.push(guard);
    return source;
  }
  const wrapper: Wrapper = { guards: [guard], started: false };
  const { guards } = wrapper;
  const reader = source.getReader();
  const stream = new ReadableStream<T>(
    {
      async pull(controller) {
        wrapper.started = true;
        let result: ReadableStreamReadResult<T>;
        try {
          result = await reader.read();
        } catch (err) {
          throw failed(guards, 0, err);
        }
        if (!result.done) return controller.enqueue(result.value);
        for (let i = 0; i < guards.length; i++) {
          try {
            const pending = guards[i]!.end?.(true);
            if (pending) await pending;
          } catch (err) {
            throw failed(guards, i + 1, err);
          }
        }
        controller.close();
      },
      cancel(reason) {
        wrapper.started = true;
        // The last guard added was the outermost wrapper: it heard of the cancel first.
        for (let i = guards.length - 1; i >= 0; i--) guards[i]!.end?.(false);
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  WRAPPERS.set(stream, wrapper);
  return stream;
}

/** The error a failure is read as, through the guards from `from` on, each ended first. */
function failed(guards: readonly BodyGuard[], from: number, err: unknown): unknown {
  let mapped = err;
  for (let i = from; i < guards.length; i++) {
    const guard = guards[i]!;
    guard.end?.(false);
    if (guard.error) mapped = guard.error(mapped);
  }
  return mapped;
}
