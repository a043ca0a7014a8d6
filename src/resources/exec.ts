// Exec: running a command in a running container, collected, streamed, or interactive.

import { containerExec, execInspect, execResize } from "../generated/endpoints/exec.ts";
import type { CallOptions, Client } from "../request/engine.ts";
import { DockerConfigError, DockerError, DockerUnsupportedError, ExecStartError, httpError } from "../errors/errors.ts";
import type { ExecInspectResponse } from "../generated/types.ts";
import { Session, webSocketParts, type SessionParts } from "../streams/live-session.ts";
import { isMultiplexed } from "../streams/demux.ts";
import { bodyOf, decodeUtf8, encodeUtf8 } from "../streams/bytes.ts";

export interface ExecOptions extends CallOptions {
  /** `["A=1"]` or `{ A: "1" }`. */
  env?: string[] | Record<string, string>;
  workdir?: string;
  /** `user`, `user:group`, `uid` or `uid:gid`. */
  user?: string;
  tty?: boolean;
  privileged?: boolean;
  detachKeys?: string;
  /** Initial TTY size. */
  consoleSize?: { h: number; w: number };
}

export interface ExecRunOptions extends ExecOptions {
  /** Data fed to the command's stdin, which is then closed (EOF). */
  stdin?: string | Uint8Array | ReadableStream<Uint8Array>;
  /**
   * `"utf8"` (the default): `stdout` and `stderr` are text. `"bytes"`: they are the bytes exactly
   * as the process wrote them (`cat` of a binary file, a tarball on stdout), as `logs().bytes()`.
   */
  encoding?: OutputEncoding;
}

/** How collected output is returned: decoded as UTF-8 text, or the bytes as written. */
export type OutputEncoding = "utf8" | "bytes";

export interface ExecStreamOptions extends ExecOptions {
  /** Attach stdin: the session's `write()`/`stdin`/`closeStdin()` reach the process. */
  stdin?: boolean;
}

/** A collected exec: text by default, bytes with `{ encoding: "bytes" }` (`ExecResult<Uint8Array>`). */
export interface ExecResult<Output extends string | Uint8Array = string> {
  exitCode: number;
  stdout: Output;
  stderr: Output;
}

/** A running (or finished) exec: output, optional stdin, and its exit code. */
export class ExecSession extends Session {
  readonly exec: Exec;
  constructor(exec: Exec, parts: ConstructorParameters<typeof Session>[0]) {
    super(parts);
    this.exec = exec;
  }

  /**
   * The exit code, once the process has ended. Read the output first: a process blocked on a full
   * output pipe never ends.
   */
  wait(options: CallOptions = {}): Promise<number> {
    return this.exec.wait(options);
  }
}

/** An exec instance (`POST /containers/{id}/exec`). */
export class Exec {
  readonly #client: Client;
  readonly id: string;
  /** Whether it was created with a TTY (decides the output framing). */
  readonly tty: boolean;

  constructor(client: Client, id: string, tty: boolean) {
    this.#client = client;
    this.id = id;
    this.tty = tty;
  }

  /** Creates an exec in a container. */
  static async create(client: Client, containerId: string, cmd: string[] | string, options: ExecOptions & { stdin?: boolean } = {}): Promise<Exec> {
    const commandOk = (typeof cmd === "string" && cmd !== "") || (Array.isArray(cmd) && cmd.length > 0 && cmd.every((a) => typeof a === "string"));
    if (!commandOk) {
      throw new DockerConfigError('exec needs a command: an array of arguments (["ls", "-l"]) or a shell line ("ls -l | wc -l"), non-empty');
    }
    const { env, workdir, user, tty, privileged, detachKeys, consoleSize, stdin, ...call } = options;
    const created = await containerExec(
      client,
      containerId,
      {
        AttachStdin: stdin === true,
        AttachStdout: true,
        AttachStderr: true,
        Tty: tty ?? false,
        Cmd: typeof cmd === "string" ? ["sh", "-c", cmd] : cmd,
        Env: env === undefined || Array.isArray(env) ? env : Object.entries(env).map(([k, v]) => `${k}=${v}`),
        WorkingDir: workdir,
        User: user,
        Privileged: privileged,
        // Only an attached stdin can detach; config.json's detachKeys is the CLI's default there.
        DetachKeys: detachKeys ?? (stdin === true ? client.dockerConfig()?.detachKeys : undefined),
        ConsoleSize: consoleSize ? [consoleSize.h, consoleSize.w] : undefined,
      },
      call,
    );
    return new Exec(client, created.Id, tty ?? false);
  }

  /**
   * Starts the exec. Without stdin, output arrives as a plain streaming response (works on every
   * runtime, browsers included); with `stdin: true` the connection is taken over for two-way use.
   */
  async start(options: CallOptions & { stdin?: boolean } = {}): Promise<ExecSession> {
    const { stdin, ...call } = options;
    const request = { ...call, method: "POST", path: "/exec/{id}/start", params: { id: this.id }, body: { Detach: false, Tty: this.tty } };
    if (stdin && !this.#client.transport.connect) return this.#startOverWebSocket(call);
    const transport = this.#client.transport;
    if (stdin || (transport.hijackExecOutput && transport.connect)) {
      const conn = await this.#client.hijack(request);
      return new ExecSession(this, {
        readable: conn.readable,
        // Without stdin the connection is only read: the session has no input, as over request().
        writable: stdin ? conn.writable : undefined,
        close: conn.close,
        multiplexed: isMultiplexed(conn.headers.get("content-type") ?? null, this.tty),
        resize: (size) => this.resize(size),
      });
    }
    const response = await this.#client.send({ timeout: call.timeout, ...request, stream: true });
    const body = bodyOf(response);
    return new ExecSession(this, {
      readable: body,
      close: () => void body.cancel().catch(() => {}),
      multiplexed: isMultiplexed(response.headers.get("content-type"), this.tty),
      resize: (size) => this.resize(size),
    });
  }

  /**
   * Browsers have no raw sockets: through berth's gateway, the exec runs over its WebSocket
   * endpoint (binary frames both ways, a text frame to close stdin, see adapters/gateway.ts).
   */
  async #startOverWebSocket(call: CallOptions): Promise<ExecSession> {
    const transport = this.#client.transport;
    if (!transport.webSocket || !transport.execWebSocket) {
      throw new DockerUnsupportedError(
        `exec with stdin needs a two-way connection, which the transport for ${transport.address} cannot open: browsers and edge runtimes have no raw sockets, and the engine has no WebSocket exec. ` +
          "Reach the engine through berth's gateway (npx berth-docker serve, docs/browser.md), which adds one. Without it: exec output without stdin streams over plain HTTP, and a container started with OpenStdin takes input through attach (the engine's WebSocket)",
      );
    }
    const path = `/exec/${this.id}/start`;
    const ws = await this.#client.openWebSocket({ ...call, method: "GET", path: "/exec/{id}/start/ws", params: { id: this.id }, skipVersionCheck: true });
    // The gateway reports the engine's refusal (a paused container, say) as close code 4000 + status.
    let refused: DockerError | undefined;
    ws.addEventListener("close", (event: { code?: number; reason?: string }) => {
      const code = event.code ?? 0;
      if (code >= 4000 && code < 5000) refused = httpError(code - 4000, event.reason || "the engine refused the exec", "POST", path);
    });
    const parts: SessionParts = await webSocketParts(ws, transport.address);
    const readable = parts.readable.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        flush(controller) {
          if (refused) controller.error(refused);
        },
      }),
    );
    const writable = new WritableStream<Uint8Array>({
      write: (chunk) => ws.send(chunk),
      close: () => ws.send('{"stdin":"close"}'),
      abort: () => ws.close(),
    });
    return new ExecSession(this, { readable, writable, close: parts.close, multiplexed: !this.tty, resize: (size) => this.resize(size) });
  }

  inspect(options: CallOptions = {}): Promise<ExecInspectResponse> {
    return execInspect(this.#client, this.id, options);
  }

  resize(size: { h: number; w: number }, options: CallOptions = {}): Promise<void> {
    return execResize(this.#client, this.id, { ...options, h: size.h, w: size.w });
  }

  /** Polls until the process has ended and returns its exit code. */
  async wait(options: CallOptions = {}): Promise<number> {
    // The output ends a moment before the engine records the exit code: poll briefly.
    for (let delay = 1; ; delay = Math.min(delay * 2, 100)) {
      const info = await this.inspect(options);
      if (!info.Running && info.ExitCode !== null && info.ExitCode !== undefined) return info.ExitCode;
      await new Promise((r) => setTimeout(r, delay));
      if (options.signal?.aborted) throw options.signal.reason ?? new DockerError("aborted");
    }
  }
}

/** create + start + collect output (+ feed stdin) + exit code. */
export async function runExec(client: Client, containerId: string, cmd: string[] | string, options: ExecRunOptions = {}): Promise<ExecResult<string | Uint8Array>> {
  const { stdin, encoding, ...rest } = options;
  checkEncoding(encoding, "exec()");
  const exec = await Exec.create(client, containerId, cmd, { ...rest, stdin: stdin !== undefined });
  const session = await exec.start({ signal: rest.signal, timeout: rest.timeout, stdin: stdin !== undefined });
  const feeding = stdin === undefined ? Promise.resolve() : feed(session, stdin);
  // Read while writing: a process that echoes would otherwise fill its pipe and stall.
  const [output] = await Promise.all([encoding === "bytes" ? session.output.bytes() : session.output.collect(), feeding]);
  session.close();
  const exitCode = await exec.wait({ signal: rest.signal });
  // The engine's own failure to start the process (no such binary or user), exit code 126 or 127:
  // dockerd writes it into stdout, Podman into stderr ("Error: runc: exec failed: ..."). The
  // process never had a pid.
  const report = exitCode === 126 || exitCode === 127 ? (await client.dialect({ signal: rest.signal })).execStartFailure(asText(output)) : undefined;
  if (report !== undefined && (await exec.inspect({ signal: rest.signal })).Pid === 0) throw new ExecStartError(cmd, exitCode, report);
  return { exitCode, ...output };
}

/** `encoding` as given: undefined, "utf8" or "bytes"; anything else is refused before any request. */
export function checkEncoding(encoding: unknown, where: string): void {
  if (encoding !== undefined && encoding !== "utf8" && encoding !== "bytes") {
    throw new DockerConfigError(`${where}: encoding must be "utf8" (text, the default) or "bytes" (Uint8Array), got ${JSON.stringify(encoding)}`);
  }
}

/** Collected output as text (bytes decoded as UTF-8), for messages. */
export function asText(output: { stdout: string | Uint8Array; stderr: string | Uint8Array }): { stdout: string; stderr: string } {
  const text = (v: string | Uint8Array) => (typeof v === "string" ? v : decodeUtf8(v));
  return { stdout: text(output.stdout), stderr: text(output.stderr) };
}

async function feed(session: Session, stdin: string | Uint8Array | ReadableStream<Uint8Array>): Promise<void> {
  if (stdin instanceof ReadableStream) {
    await stdin.pipeTo(session.stdin!);
    return;
  }
  const bytes = typeof stdin === "string" ? encodeUtf8(stdin) : stdin;
  if (bytes.length) await session.write(bytes);
  await session.closeStdin();
}
