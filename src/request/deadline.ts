// Time limits and aborts of one call, in one place. The client, the upgrade handshake and the Node
// transport all listen to signals and run timers; each used to combine them by hand, and a listener
// left on a long-lived signal (a server's shutdown signal shared by every call) piled up one per call.
// Here every listener and timer has an owner that removes it when the call ends.
//
// A call has up to three limits:
// - `timeout`: until the response head arrives (connecting included);
// - an idle limit while a body that resolves a value is read: the longest silence between two pieces
//   of the body (the client uses the call's `timeout` for it). Streams returned to the caller have none;
// - `deadline`: the whole call, body included, opt-in.

import { DockerAbortError, DockerError, DockerTimeoutError } from "../errors/errors.ts";

/**
 * The callers waiting on a signal, kept on the signal itself. A signal gets one listener of ours
 * however many calls share it at once (a server's shutdown signal given to every call), so Node's
 * MaxListenersExceededWarning never fires for berth's own listeners, and that one listener goes away
 * with the last caller. The usual case, one caller, costs one registration and no collection.
 */
const WAITING = Symbol("berth.abortWaiters");

class Waiters {
  first: (() => void) | null = null;
  rest: Set<() => void> | null = null;
  constructor(readonly signal: AbortSignal) {}

  readonly fire = (): void => {
    (this.signal as { [WAITING]?: Waiters })[WAITING] = undefined;
    const first = this.first;
    const rest = this.rest;
    this.first = this.rest = null;
    if (first) run(first);
    if (rest) for (const fn of rest) run(fn);
  };

  get empty(): boolean {
    return this.first === null && (this.rest === null || this.rest.size === 0);
  }
}

function run(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    // One failing listener must not keep the others from running; the error is still reported.
    queueMicrotask(() => {
      throw err;
    });
  }
}

/**
 * Runs `listener` once when `signal` aborts (at once if it already has) and returns the function
 * that removes it. Call that function when the work the signal governs is over.
 */
export function onAbort(signal: AbortSignal | undefined, listener: () => void): () => void {
  if (!signal) return noop;
  if (signal.aborted) {
    listener();
    return noop;
  }
  const holder = signal as { [WAITING]?: Waiters };
  let waiters = holder[WAITING];
  if (waiters === undefined) {
    waiters = new Waiters(signal);
    holder[WAITING] = waiters;
    signal.addEventListener("abort", waiters.fire, { once: true });
  }
  const w = waiters;
  // A wrapper of its own: the same function registered twice is two registrations.
  const registration = (): void => listener();
  if (w.first === null && w.rest === null) w.first = registration;
  else (w.rest ??= new Set()).add(registration);
  return () => {
    if (w.first === registration) w.first = null;
    else if (!w.rest?.delete(registration)) return;
    if (!w.empty || holder[WAITING] !== w) return;
    holder[WAITING] = undefined;
    signal.removeEventListener("abort", w.fire);
  };
}

/**
 * onAbort for a signal one operation owns, such as the per-call signal the core gives a transport:
 * a plain listener, without the sharing (which costs about a microsecond a call on Node). Removed
 * by the returned function just the same.
 */
export function onOwnAbort(signal: AbortSignal | undefined, listener: () => void): () => void {
  if (!signal) return noop;
  if (signal.aborted) {
    listener();
    return noop;
  }
  signal.addEventListener("abort", listener, { once: true });
  return () => signal.removeEventListener("abort", listener);
}

function noop(): void {}

export interface DeadlineOptions {
  /** The caller's signal. Its listener is removed by `end()`. */
  signal?: AbortSignal;
  /** Milliseconds until `headersArrived()`; 0 or undefined for no limit. */
  timeout?: number;
  /** Milliseconds until `end()`; 0 or undefined for no limit. */
  deadline?: number;
}

/**
 * The limits of one call. `signal` aborts when the caller's signal does or a limit passes; give it
 * to the transport. `error(err)` says what a failure under it means. `end()` clears everything.
 */
export class Deadline {
  readonly #controller = new AbortController();
  readonly #method: string;
  readonly #path: string;
  readonly #user: AbortSignal | undefined;
  #unlisten: () => void = noop;
  #headTimer: ReturnType<typeof setTimeout> | undefined;
  #totalTimer: ReturnType<typeof setTimeout> | undefined;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #idle = 0;
  #lastProgress = 0;
  #timedOut: DockerTimeoutError | undefined;
  #ended = false;

  constructor(method: string, path: string, options: DeadlineOptions) {
    this.#method = method;
    this.#path = path;
    const user = (this.#user = options.signal);
    if (user) {
      if (user.aborted) {
        this.#controller.abort(user.reason);
      } else {
        const controller = this.#controller;
        this.#unlisten = onAbort(user, () => controller.abort(user.reason));
      }
    }
    const { timeout, deadline } = options;
    if (timeout !== undefined && timeout > 0) this.#headTimer = setTimeout(() => this.#expire("head", timeout), timeout);
    if (deadline !== undefined && deadline > 0) this.#totalTimer = setTimeout(() => this.#expire("deadline", deadline), deadline);
  }

  /** Aborts when the caller's signal does or a limit passes. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** True while something (the caller's signal, the deadline) can still abort the call. */
  get watching(): boolean {
    return !this.#ended && (this.#user !== undefined || this.#totalTimer !== undefined);
  }

  /** The response head is in: the head timeout no longer applies. */
  headersArrived(): void {
    clearTimeout(this.#headTimer);
    this.#headTimer = undefined;
  }

  /**
   * From now on at most `ms` may pass between two `progress()` calls (0: no limit). One timer serves
   * the whole body: progress only notes the time, and the timer, when it fires early, waits the rest.
   */
  watchIdle(ms: number): void {
    if (ms <= 0 || this.#ended) return;
    this.#idle = ms;
    this.#lastProgress = Date.now();
    this.#idleTimer = setTimeout(this.#checkIdle, ms);
  }

  /** A piece of the body arrived. */
  progress(): void {
    if (this.#idle !== 0) this.#lastProgress = Date.now();
  }

  readonly #checkIdle = (): void => {
    const silent = Date.now() - this.#lastProgress;
    if (silent >= this.#idle) this.#expire("idle", this.#idle);
    else this.#idleTimer = setTimeout(this.#checkIdle, this.#idle - silent);
  };

  #expire(phase: "head" | "idle" | "deadline", ms: number): void {
    if (this.#ended || this.#controller.signal.aborted) return;
    this.#timedOut = new DockerTimeoutError(this.#method, this.#path, ms, phase);
    this.#controller.abort(this.#timedOut);
  }

  /**
   * What a failure of the call means: the timeout error when a limit passed, DockerAbortError when
   * the caller's signal fired, else `err` itself.
   */
  error(err: unknown): unknown {
    if (this.#timedOut) return this.#timedOut;
    if (this.#user?.aborted) return err instanceof DockerAbortError ? err : new DockerAbortError(`${this.#method} ${this.#path}`, { cause: this.#user.reason });
    return err;
  }

  /** The call is over: timers cleared, the caller's signal no longer listened to. Idempotent. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#headTimer);
    clearTimeout(this.#totalTimer);
    clearTimeout(this.#idleTimer);
    this.#headTimer = this.#totalTimer = this.#idleTimer = undefined;
    this.#unlisten();
    this.#unlisten = noop;
  }
}

/** The caller's signal, when it has fired, as the error to throw (a DockerError reason is kept). */
export function abortReason(signal: AbortSignal, what: string): DockerError {
  const reason: unknown = signal.reason;
  if (reason instanceof DockerError) return reason;
  return new DockerAbortError(what, { cause: reason });
}
