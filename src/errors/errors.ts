// The DockerError family. Every error berth throws is one of these, so callers can branch on
// `instanceof` or on the boolean getters without parsing messages. Messages never contain
// credentials: nothing here ever formats request headers or bodies, and an address's password is
// shown as `***`.

import { redactAddress } from "../config/redact.ts";
import { brand, brandOf, hasBrand } from "./brand.ts";

/** Base class of every error berth throws. */
export class DockerError extends Error {
  static {
    brand(this, "DockerError");
  }

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    // Each class's brand is its errors' name; an app's own subclass inherits its parent's.
    this.name = brandOf(new.target) ?? "DockerError";
  }

  /**
   * `instanceof` that also recognises the errors of another copy of berth in the same app (two
   * versions installed, or one bundled twice), by their brand: see error-brand.ts.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return Function.prototype[Symbol.hasInstance].call(this, value) || hasBrand(value, this);
  }
}

/** The engine answered with an HTTP error status. `message` is the daemon's own message. */
export class DockerHttpError extends DockerError {
  static { brand(this, "DockerHttpError"); }
  /** HTTP status code (404, 409, 500, ...). */
  readonly status: number;
  /** The daemon's message, without berth's prefix. */
  readonly reason: string;
  /** HTTP method of the failed request. */
  readonly method: string;
  /** Request path (without the version prefix and query string). */
  readonly path: string;

  constructor(status: number, reason: string, method: string, path: string) {
    super(`${method} ${path} failed with ${status}: ${reason}`);
    this.status = status;
    this.reason = reason;
    this.method = method;
    this.path = path;
  }

  get isNotFound(): boolean { return this.status === 404; }
  get isConflict(): boolean { return this.status === 409; }
  get isBadRequest(): boolean { return this.status === 400; }
  get isUnauthorized(): boolean { return this.status === 401 || this.status === 403 || this instanceof DockerUnauthorizedError; }
  get isServerError(): boolean { return this.status >= 500; }
}

/** 404: no such container, image, network, volume, path, ... */
export class DockerNotFoundError extends DockerHttpError { static { brand(this, "DockerNotFoundError"); } }
/** 409: name in use, container running, image in use, ... */
export class DockerConflictError extends DockerHttpError { static { brand(this, "DockerConflictError"); } }
/** 400: the engine rejected the parameters. */
export class DockerBadRequestError extends DockerHttpError { static { brand(this, "DockerBadRequestError"); } }
/**
 * 401/403, or a registry's refusal of credentials relayed by the engine (engines answer a pull
 * with bad or missing credentials with a 500 whose message says "unauthorized").
 */
export class DockerUnauthorizedError extends DockerHttpError { static { brand(this, "DockerUnauthorizedError"); } }
/** 5xx: the engine failed. Registry authentication failures also arrive as 500 from older engines. */
export class DockerServerError extends DockerHttpError { static { brand(this, "DockerServerError"); } }

/** How registries word a refusal of credentials, as relayed by the engine. */
export const REGISTRY_AUTH_FAILURE = /\bunauthorized\b|authentication required|no basic auth credentials|incorrect username or password|denied: requested access/i;

/** Picks the most specific DockerHttpError subclass for a status (and, for 500s, the message). */
export function httpError(status: number, reason: string, method: string, path: string): DockerHttpError {
  const Class =
    status === 404 ? DockerNotFoundError
    : status === 409 ? DockerConflictError
    : status === 400 ? DockerBadRequestError
    : status === 401 || status === 403 ? DockerUnauthorizedError
    : status >= 500 && REGISTRY_AUTH_FAILURE.test(reason) ? DockerUnauthorizedError
    : status >= 500 ? DockerServerError
    : DockerHttpError;
  return new Class(status, reason, method, path);
}

/**
 * The engine could not be reached: no socket, connection refused, permission denied, TLS or SSH
 * failure, or the connection dropped mid-request. `address` names where berth tried to connect.
 */
export class DockerConnectionError extends DockerError {
  static { brand(this, "DockerConnectionError"); }
  /** System error code when known: ENOENT, ECONNREFUSED, EACCES, ECONNRESET, ... */
  readonly code: string | undefined;
  /** Where berth tried to connect, e.g. `unix:///var/run/docker.sock`. */
  readonly address: string;

  constructor(address: string, code: string | undefined, detail: string, options?: { cause?: unknown }) {
    const shown = redactAddress(address);
    super(`${describeConnectionFailure(shown, code, detail)}`, options);
    this.code = code;
    this.address = shown;
  }
}

const POINT_ELSEWHERE =
  "Set DOCKER_HOST (e.g. unix:///path/to/docker.sock or tcp://host:2375) or pass { host } to point berth at another engine.";

function describeConnectionFailure(address: string, code: string | undefined, detail: string): string {
  switch (code) {
    case "ENOENT":
      return `Cannot connect to the Docker engine at ${address}: the socket does not exist. Is the engine running? ${POINT_ELSEWHERE}`;
    case "ECONNREFUSED":
      return `Cannot connect to the Docker engine at ${address}: connection refused. Is the engine running? ${POINT_ELSEWHERE}`;
    case "EACCES":
    case "EPERM":
      return `Cannot connect to the Docker engine at ${address}: permission denied. Run as a user in the docker group or root, or ${POINT_ELSEWHERE.charAt(0).toLowerCase()}${POINT_ELSEWHERE.slice(1)}`;
    default:
      return `Connection to the Docker engine at ${address} failed${code ? ` (${code})` : ""}: ${detail}`;
  }
}

/**
 * A time limit of the call passed: `head`, the timeout for connecting and receiving the response
 * head; `idle`, the same timeout as the longest silence while a body that resolves a value is read;
 * `deadline`, the call's total deadline.
 */
export class DockerTimeoutError extends DockerError {
  static { brand(this, "DockerTimeoutError"); }
  readonly timeout: number;
  readonly phase: "head" | "idle" | "deadline";
  constructor(method: string, path: string, timeout: number, phase: "head" | "idle" | "deadline" = "head") {
    super(
      phase === "idle" ? `${method} ${path} timed out: the engine sent nothing for ${timeout} ms while the answer was being read`
      : phase === "deadline" ? `${method} ${path} did not complete within its deadline of ${timeout} ms`
      : `${method} ${path} timed out after ${timeout} ms waiting for the engine to answer`,
    );
    this.timeout = timeout;
    this.phase = phase;
  }
}

/** The caller aborted the request or stream through its AbortSignal. */
export class DockerAbortError extends DockerError {
  static { brand(this, "DockerAbortError"); }
  constructor(what: string, options?: { cause?: unknown }) {
    super(`${what} was aborted`, options);
  }
}

/**
 * A stream carried an error: a daemon error frame in a multiplexed stream, an in-band
 * `{"error": ...}` in a progress stream (failed pull, build, push), or malformed bytes.
 */
export class DockerStreamError extends DockerError {
  static { brand(this, "DockerStreamError"); }
  /** `errorDetail` of a progress stream, when the engine sent one. */
  readonly detail: { code?: number; message?: string } | undefined;
  constructor(message: string, detail?: { code?: number; message?: string }, options?: { cause?: unknown }) {
    super(message, options);
    this.detail = detail;
  }

  /** The stream failed because a registry refused the credentials (a push with a wrong password). */
  get isUnauthorized(): boolean {
    return REGISTRY_AUTH_FAILURE.test(this.message);
  }
}

/** The engine's API version is too old for berth, or for the operation or parameter requested. */
export class DockerVersionError extends DockerError {
  static { brand(this, "DockerVersionError"); }
  /** The version the operation needs. */
  readonly required: string;
  /** The version in use with this engine. */
  readonly actual: string;
  constructor(message: string, required: string, actual: string) {
    super(message);
    this.required = required;
    this.actual = actual;
  }
}

/** The current runtime or connection cannot do this (e.g. exec stdin from a browser). */
export class DockerUnsupportedError extends DockerError {
  static { brand(this, "DockerUnsupportedError"); }
}

/** A configuration value (environment variable, config file, option) is malformed. */
export class DockerConfigError extends DockerError {
  static { brand(this, "DockerConfigError"); }
}

/** What `containers.run()` knows about a container that exited non-zero. */
export interface ContainerExitDetails {
  /** The command as given to `run()` (undefined: the image's own). */
  command?: string[] | string;
  image?: string;
  stdout?: string;
}

/**
 * The container exited with a non-zero code in `containers.run()`. The message names the command
 * and the image, like `Command 'cat /test' in image 'busybox' returned non-zero exit status 1: ...`
 * (the end of stderr). `stdout` and `stderr` are empty when the log driver cannot be read back.
 */
export class ContainerExitError extends DockerError {
  static { brand(this, "ContainerExitError"); }
  readonly exitCode: number;
  readonly stderr: string;
  readonly stdout: string;
  readonly containerId: string;
  /** The command as given to `run()`; undefined when the image's own command ran. */
  readonly command: string[] | string | undefined;
  readonly image: string | undefined;
  constructor(containerId: string, exitCode: number, stderr: string, details: ContainerExitDetails = {}) {
    const tail = stderr ? `: ${stderr.trim().slice(-2000)}` : "";
    super(
      details.image === undefined
        ? `Container ${containerId.slice(0, 12)} exited with code ${exitCode}${tail}`
        : `Command '${commandText(details.command)}' in image '${details.image}' returned non-zero exit status ${exitCode}${tail}`,
    );
    this.exitCode = exitCode;
    this.stderr = stderr;
    this.stdout = details.stdout ?? "";
    this.containerId = containerId;
    this.command = details.command;
    this.image = details.image;
  }
}

/** A command as one line: arguments holding spaces or quotes are JSON-quoted. */
function commandText(command: string[] | string | undefined): string {
  if (command === undefined) return "(the image's command)";
  if (typeof command === "string") return command;
  return command.map((a) => (a === "" || /[\s"'\\]/.test(a) ? JSON.stringify(a) : a)).join(" ");
}

/**
 * The engine could not start an exec's process: the binary or the user does not exist, or is not
 * executable. (The engine reports this with exit code 126 and its message written into the
 * command's stdout; berth recognises it by the process never having had a pid.)
 */
export class ExecStartError extends DockerError {
  static { brand(this, "ExecStartError"); }
  /** The engine's exit code for it (126). */
  readonly exitCode: number;
  /** The engine's message, e.g. `OCI runtime exec failed: ... executable file not found in $PATH: unknown`. */
  readonly reason: string;
  readonly command: string[] | string;
  constructor(command: string[] | string, exitCode: number, reason: string) {
    super(`Exec of '${commandText(command)}' could not start (exit status ${exitCode}): ${reason}`);
    this.exitCode = exitCode;
    this.reason = reason;
    this.command = command;
  }
}

/** True when `err` is a 404 from the engine. */
export function isNotFound(err: unknown): boolean {
  return err instanceof DockerHttpError && err.status === 404;
}
/** True when `err` is a 409 from the engine. */
export function isConflict(err: unknown): boolean {
  return err instanceof DockerHttpError && err.status === 409;
}
