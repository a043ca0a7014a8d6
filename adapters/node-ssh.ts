// ssh:// engines without dependencies, as the Docker CLI reaches them: run the system `ssh` with
// `docker system dial-stdio` on the remote host and speak HTTP over the process's stdin/stdout.
// Each SshSocket is one ssh process and one engine connection; NodeTransport's keep-alive pool
// reuses it for request after request, so a process is started only when a connection is needed
// (the first request, concurrent requests, and each attach/exec, which takes its connection over).

import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { Duplex } from "node:stream";
import { checkHostname, checkSshUser } from "../src/config/host.ts";
import { DockerConfigError } from "../src/errors/errors.ts";

export interface SshOptions {
  /** The ssh program. Default `ssh` from PATH. */
  binary?: string;
  /** An ssh_config file (`-F`), e.g. with IdentityFile, UserKnownHostsFile, ProxyJump. */
  configFile?: string;
  /** A private key (`-i`); only this key is then offered. */
  identityFile?: string;
  /** More ssh arguments, placed before the host, e.g. `["-o", "ServerAliveInterval=30"]`. */
  args?: string[];
  /** The command run on the remote host. Default `docker system dial-stdio`. */
  remoteCommand?: string[];
}

export interface SshTarget {
  user: string | undefined;
  hostname: string;
  port: number | undefined;
}

/**
 * The ssh command line for a target: never prompts (BatchMode), no TTY, host after `--`. The user
 * and host are checked first (as parseDockerHost does), since a target may be made by hand.
 */
export function sshArgs(target: SshTarget, options: SshOptions = {}): string[] {
  const fail = (why: string): never => {
    throw new DockerConfigError(`The ssh target is not valid: ${why}`);
  };
  if (target.user !== undefined) checkSshUser(target.user, fail);
  checkHostname(target.hostname, fail);
  const args: string[] = [];
  if (options.configFile) args.push("-F", options.configFile);
  if (options.identityFile) args.push("-i", options.identityFile, "-o", "IdentitiesOnly=yes");
  // BatchMode: a password or host-key prompt would hang a library call forever; fail instead.
  args.push("-o", "BatchMode=yes", "-o", "ConnectTimeout=30", "-T");
  if (target.user) args.push("-l", target.user);
  if (target.port) args.push("-p", String(target.port));
  args.push(...(options.args ?? []));
  args.push("--", target.hostname, ...(options.remoteCommand ?? ["docker", "system", "dial-stdio"]));
  return args;
}

/** Keeps this much of ssh's stderr for the error message. */
const STDERR_LIMIT = 4096;

/**
 * One ssh process as a socket-like Duplex: writes go to ssh's stdin, reads come from its stdout.
 * When ssh fails (unreachable host, refused key, unknown host key, no docker on the remote host),
 * the stream errors with ssh's own message and code `ESSH`; nothing is thrown outside the stream.
 */
export class SshSocket extends Duplex {
  readonly #child: ChildProcessWithoutNullStreams;
  #stderr = "";
  #exited = false;
  // The members node:http and its Agent expect of a socket.
  readonly connecting = false;
  readonly remoteAddress: string;
  timeout = 0;

  constructor(target: SshTarget, options: SshOptions = {}) {
    super({ allowHalfOpen: true });
    this.remoteAddress = target.hostname;
    const child = spawn(options.binary ?? "ssh", sshArgs(target, options), { stdio: ["pipe", "pipe", "pipe"], windowsHide: true });
    this.#child = child;
    child.stdout.on("data", (chunk: Buffer) => {
      if (!this.push(chunk)) child.stdout.pause();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      if (this.#stderr.length < STDERR_LIMIT) this.#stderr += chunk.toString("utf8");
    });
    // Writes after ssh died fail with EPIPE; the exit status, reported on close, says why.
    child.stdin.on("error", () => {});
    child.stdout.on("error", () => {});
    child.stderr.on("error", () => {});
    child.once("error", (err: Error & { code?: string }) => {
      this.#exited = true;
      this.destroy(sshError(`cannot run ${options.binary ?? "ssh"}: ${err.message}`, err));
    });
    child.once("close", (code, signal) => {
      this.#exited = true;
      if (this.destroyed) return;
      if (code === 0) {
        this.push(null);
        return;
      }
      const said = this.#stderr.trim().replace(/\s+/g, " ");
      const how = code !== null ? `exit code ${code}` : `signal ${signal}`;
      this.destroy(sshError(said ? `ssh failed (${how}): ${said}` : `ssh ended with ${how}`));
    });
  }

  /** The ssh process id (tests count processes with it). */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  override _read(): void {
    this.#child.stdout.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    if (this.#exited || this.#child.stdin.destroyed) return callback();
    // Errors are left to the close handler, which has ssh's explanation.
    this.#child.stdin.write(chunk, () => callback());
  }

  override _final(callback: (err?: Error | null) => void): void {
    // Half-close: the remote end sees EOF on its stdin (attach/exec stdin), replies keep flowing.
    if (this.#exited || this.#child.stdin.destroyed) return callback();
    this.#child.stdin.end(() => callback());
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    if (!this.#exited) this.#child.kill();
    callback(err);
  }

  // node:http's Agent manages sockets through these; a pipe has no such settings.
  setKeepAlive(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setTimeout(ms: number, callback?: () => void): this {
    this.timeout = ms;
    if (callback) this.once("timeout", callback);
    return this;
  }

  /** An idle pooled connection must not keep the process alive (the Agent calls this when idle). */
  unref(): this {
    this.#child.unref();
    for (const s of [this.#child.stdin, this.#child.stdout, this.#child.stderr]) (s as { unref?: () => void }).unref?.();
    return this;
  }

  ref(): this {
    this.#child.ref();
    for (const s of [this.#child.stdin, this.#child.stdout, this.#child.stderr]) (s as { ref?: () => void }).ref?.();
    return this;
  }
}

function sshError(message: string, cause?: Error): Error & { code: string } {
  const err = new Error(message, cause ? { cause } : undefined) as Error & { code: string };
  err.code = "ESSH";
  return err;
}
