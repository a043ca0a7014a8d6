// When the idle connections of a keep-alive pool (Node's, Deno's) are closed: each notes when it
// went idle, and one timer for the whole pool closes those idle for long enough, then waits for the
// next. Releasing a connection costs no timer of its own.

/** What the sweep reads of an idle connection. */
export interface IdleConnection {
  /** When it last went idle (Date.now()). */
  idleSince: number;
}

export interface IdleSweepOptions<C extends IdleConnection> {
  /** Milliseconds a connection may stay idle; 0 keeps it until the engine closes it. */
  timeout: number;
  /** The pool's idle connections now. */
  idle(): readonly C[];
  /** Closes a connection idle for too long (and takes it off the pool's idle list). */
  expire(conn: C): void;
  /** Makes the timer not keep the process alive: the runtime's own way. */
  unref(timer: ReturnType<typeof setTimeout>): void;
}

export class IdleSweep<C extends IdleConnection> {
  readonly #options: IdleSweepOptions<C>;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(options: IdleSweepOptions<C>) {
    this.#options = options;
  }

  /** Whether `conn` has been idle for too long to be used (checked when a connection is taken). */
  expired(conn: C, now = Date.now()): boolean {
    const { timeout } = this.#options;
    return timeout > 0 && now - conn.idleSince >= timeout;
  }

  /** A connection went idle: the timer runs, unless it already does. */
  arm(): void {
    const { timeout } = this.#options;
    if (timeout > 0 && this.#timer === undefined && !this.#stopped) this.#arm(timeout);
  }

  /** The pool is closed: no more sweeps. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(ms: number): void {
    const { timeout, idle, expire, unref } = this.#options;
    const timer = setTimeout(() => {
      this.#timer = undefined;
      const now = Date.now();
      let next = Infinity;
      for (const conn of idle().slice()) {
        const left = conn.idleSince + timeout - now;
        if (left <= 0) expire(conn);
        else next = Math.min(next, left);
      }
      if (next !== Infinity && !this.#stopped) this.#arm(next);
    }, ms);
    unref(timer);
    this.#timer = timer;
  }
}
