// What `images.buildStream()` yields, for both builders: typed build events and one running model
// of the build (steps in order, which are waiting, running, cached, done or failed), so a renderer
// needs no bookkeeping of its own. BuildKit's protobuf trace feeds the model directly; the classic
// builder's text ("Step 2/3 : RUN make", " ---> Using cache") is read into the same steps.

import { brand } from "../errors/brand.ts";
import { DockerStreamError } from "../errors/errors.ts";
import { decodeUtf8, encodeUtf8 } from "../streams/bytes.ts";
import type { ProgressEvent, ProgressStream } from "../streams/progress.ts";
import { BuildModel, exitCodeOf, type BuildStep } from "./model.ts";
// The trace decoder (status.ts, with the protobuf reader) loads with a BuildKit build's first
// trace line: a classic build, or a page that never builds, does not carry it.
import type { BuildkitStatus, BuildkitVertexStatus, BuildkitVertexWarning, decodeBuildkitTrace } from "./status.ts";

export type Builder = "buildkit" | "classic";

/** One thing that happened in a build. `step` is the step as it stands after the event. */
export type BuildEvent =
  /** A step appeared or changed state (started, cached, done, failed). */
  | { type: "step"; step: BuildStep }
  /** Byte progress inside a step: a layer pulled, the context sent, the image exported. */
  | { type: "progress"; step: BuildStep; status: BuildkitVertexStatus }
  /** Output of a step's process. */
  | { type: "log"; step: BuildStep; stream: "stdout" | "stderr"; data: Uint8Array; text: string }
  | { type: "warning"; warning: BuildkitVertexWarning }
  /** The built image's id. */
  | { type: "image"; id: string }
  /** A line of builder output that belongs to no step (classic builder status lines). */
  | { type: "message"; text: string };

export interface BuildResult {
  /** The built image's id (`sha256:...`). */
  id: string;
  builder: Builder;
  /** The steps as they ended. */
  steps: BuildStep[];
  warnings: BuildkitVertexWarning[];
  /** Everything the build printed, as the CLI would show it without progress bars. */
  output: string;
  /** The engine's events as sent. */
  events: ProgressEvent[];
  /**
   * A directory context streamed through the build session: how many files the engine asked
   * for and the bytes berth sent it (stats and file data). Absent when the context went as a tar.
   */
  contextSent?: ContextSent;
}

/** What a streamed directory context sent the engine, counted as it goes. */
export interface ContextSent {
  files: number;
  bytes: number;
}

/** The JSON-lines id that carries a StatusResponse in `aux`. */
export const BUILDKIT_TRACE_ID = "moby.buildkit.trace";

/** A failed build: which step, its exit code and last output lines, and the whole model. */
export class DockerBuildError extends DockerStreamError {
  static {
    brand(this, "DockerBuildError");
  }

  readonly builder: Builder;
  /** The step that failed (`[stage-0 2/3] RUN make`), when the builder said which. */
  readonly step: BuildStep | undefined;
  readonly exitCode: number | undefined;
  /** The failing step's last output lines (stdout and stderr interleaved as they came). */
  readonly stepOutput: string[];
  readonly steps: BuildStep[];
  /** Everything the build printed up to the failure (docker-py's `BuildError.build_log`). */
  readonly output: string;
  readonly events: ProgressEvent[];

  constructor(cause: DockerStreamError, fields: { builder: Builder; step?: BuildStep; stepOutput: string[]; steps: BuildStep[]; output: string; events: ProgressEvent[] }) {
    const engineMessage = cause.detail?.message ?? cause.message;
    const exitCode = exitCodeOf(engineMessage);
    const where = fields.step ? `Build step ${fields.step.name} failed` : "The build failed";
    const code = exitCode !== undefined ? ` with exit code ${exitCode}` : "";
    const tail = fields.stepOutput.length ? `\n${fields.stepOutput.map((l) => `  | ${l}`).join("\n")}` : "";
    super(`${where}${code}: ${engineMessage}${tail}`, cause.detail, { cause });
    this.builder = fields.builder;
    this.step = fields.step;
    this.exitCode = exitCode;
    this.stepOutput = fields.stepOutput;
    this.steps = fields.steps;
    this.output = fields.output;
    this.events = fields.events;
  }
}

/** Lines of the failing step kept on the error. */
const ERROR_LINES = 20;

/**
 * A build in progress. Iterate it for BuildEvents, read `steps` at any time, or await `done()`.
 * A failing build rejects with a DockerBuildError. Breaking out of the loop, `cancel()` or the
 * call's signal releases the connection.
 */
export class BuildStream implements AsyncIterable<BuildEvent> {
  readonly builder: Builder;
  readonly #source: ProgressStream;
  readonly #model = new BuildModel();
  readonly #classic = new ClassicSteps();
  readonly #events: ProgressEvent[] = [];
  #output = "";
  #imageId: string | undefined;
  #finished = false;
  #decodeTrace: typeof decodeBuildkitTrace | undefined;
  readonly #onEvent: ((event: BuildEvent, build: BuildStream) => void) | undefined;
  /** A directory context streamed through the session: the running count of what it sent. */
  readonly contextSent: Readonly<ContextSent> | undefined;

  constructor(source: ProgressStream, builder: Builder, onEvent?: (event: BuildEvent, build: BuildStream) => void, contextSent?: ContextSent) {
    this.#source = source;
    this.builder = builder;
    this.#onEvent = onEvent;
    this.contextSent = contextSent;
  }

  /** The steps so far, in order. */
  get steps(): BuildStep[] {
    return this.#model.steps;
  }

  get warnings(): BuildkitVertexWarning[] {
    return this.#model.warnings;
  }

  /** The image id, once the builder reported it. */
  get imageId(): string | undefined {
    return this.#imageId;
  }

  /** The last lines a step printed. */
  outputLines(step: BuildStep | string, count = ERROR_LINES): string[] {
    return this.#model.outputLines(typeof step === "string" ? step : step.digest, count);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<BuildEvent, void, undefined> {
    try {
      for await (const event of this.#source) {
        if (event.id === BUILDKIT_TRACE_ID) this.#decodeTrace ??= (await import("./status.ts")).decodeBuildkitTrace;
        this.#events.push(event);
        for (const e of this.#translate(event)) {
          this.#onEvent?.(e, this);
          yield e;
        }
      }
    } catch (err) {
      if (err instanceof DockerStreamError && !(err instanceof DockerBuildError)) {
        // The in-band error line is part of the build log, as the engine sent it.
        if (err.detail) this.#events.push({ error: err.detail.message ?? err.message, errorDetail: err.detail });
        throw this.#failure(err);
      }
      throw err;
    }
    // The classic builder's last step ends with the stream.
    for (const e of this.#apply(this.#classic.finish())) {
      this.#onEvent?.(e, this);
      yield e;
    }
    this.#finished = true;
  }

  /** Stops reading and releases the connection (the engine may finish the build anyway). */
  cancel(): Promise<void> {
    return this.#source.cancel();
  }

  /** Reads the build to its end (or, after a loop that read it all, just returns the result). */
  async done(): Promise<BuildResult> {
    if (!this.#finished) {
      for await (const _ of this) {
        // the model and the event list fill as the stream is read
      }
    }
    if (!this.#imageId) throw new DockerStreamError(`The build ended without an image id: ${this.#output.trim().split("\n").slice(-3).join(" / ")}`);
    const result: BuildResult = { id: this.#imageId, builder: this.builder, steps: this.steps, warnings: this.warnings, output: this.#output, events: [...this.#events] };
    if (this.contextSent) result.contextSent = { ...this.contextSent };
    return result;
  }

  *#translate(event: ProgressEvent): Generator<BuildEvent> {
    if (event.id === BUILDKIT_TRACE_ID) {
      yield* this.#apply(this.#decodeTrace!(event.aux));
      return;
    }
    const auxId = (event.aux as { ID?: unknown } | undefined)?.ID;
    if (typeof auxId === "string") {
      this.#imageId = auxId;
      yield { type: "image", id: auxId };
      return;
    }
    if (typeof event.stream === "string") {
      this.#output += event.stream;
      if (this.builder === "classic") {
        const { status, messages } = this.#classic.read(event.stream);
        yield* this.#apply(status);
        for (const text of messages) {
          const built = /^Successfully built ([0-9a-f]{12,64})$/.exec(text);
          if (built && !this.#imageId) {
            this.#imageId = built[1];
            yield { type: "image", id: built[1]! };
          }
          yield { type: "message", text };
        }
      } else for (const text of event.stream.split("\n").filter(Boolean)) yield { type: "message", text };
    } else if (typeof event.status === "string" && event.status) {
      // A base image pulled during a classic build reports as a pull does.
      this.#output += `${event.status}\n`;
    }
  }

  *#apply(status: BuildkitStatus): Generator<BuildEvent> {
    if (!status.vertexes.length && !status.statuses.length && !status.logs.length && !status.warnings.length) return;
    const before = new Map(this.#model.steps.map((s) => [s.digest, s.state]));
    this.#model.update(status);
    const steps = new Map(this.#model.steps.map((s) => [s.digest, s]));
    const changed = new Set<string>();
    for (const v of status.vertexes) {
      const step = steps.get(v.digest)!;
      if (before.get(v.digest) !== step.state && !changed.has(v.digest)) {
        changed.add(v.digest);
        yield { type: "step", step };
      }
    }
    for (const s of status.statuses) yield { type: "progress", step: steps.get(s.vertex)!, status: s };
    for (const log of status.logs) {
      const text = decodeUtf8(log.data);
      if (this.builder === "buildkit") this.#output += text;
      yield { type: "log", step: steps.get(log.vertex)!, stream: log.stream === 2 ? "stderr" : "stdout", data: log.data, text };
    }
    for (const warning of status.warnings) yield { type: "warning", warning };
  }

  #failure(err: DockerStreamError): DockerBuildError {
    // The classic builder names no failed step: the one running when the error came failed.
    if (this.builder === "classic") this.#model.update(this.#classic.fail(err.detail?.message ?? err.message));
    const step = this.#model.failedStep;
    return new DockerBuildError(err, {
      builder: this.builder,
      step,
      stepOutput: step ? this.#model.outputLines(step.digest, ERROR_LINES) : [],
      steps: this.steps,
      output: this.#output,
      events: [...this.#events],
    });
  }
}

const EMPTY = (): BuildkitStatus => ({ vertexes: [], statuses: [], logs: [], warnings: [] });
// dockerd: "Step 2/3 : RUN make"; buildah (Podman): "STEP 2/3: RUN make", after "[1/2] " in multi-stage builds.
const STEP_LINE = /^(?:\[\d+\/\d+\] )?(?:Step|STEP) (\d+)\/(\d+) ?: (.*)$/;

/**
 * The classic builder's text, read into BuildKit-shaped statuses: `Step n/m : X` starts a step
 * (and ends the one before), ` ---> Using cache` marks it cached, ` ---> ...` lines are the
 * builder's own, anything else while a step runs is that step's output.
 */
class ClassicSteps {
  #current: { digest: string; name: string; cached: boolean; started: Date } | undefined;
  #partial = "";

  read(chunk: string): { status: BuildkitStatus; messages: string[] } {
    const status = EMPTY();
    const messages: string[] = [];
    const text = this.#partial + chunk;
    const lines = text.split("\n");
    this.#partial = lines.pop()!;
    for (const line of lines) {
      const step = STEP_LINE.exec(line);
      if (step) {
        this.#end(status);
        const now = new Date();
        this.#current = { digest: `classic:${step[1]}`, name: `[${step[1]}/${step[2]}] ${step[3]}`, cached: false, started: now };
        status.vertexes.push({ digest: this.#current.digest, inputs: [], name: this.#current.name, cached: false, started: now });
        continue;
      }
      if (this.#current && line === " ---> Using cache") {
        this.#current.cached = true;
        status.vertexes.push({ digest: this.#current.digest, inputs: [], name: this.#current.name, cached: true, started: this.#current.started });
        continue;
      }
      if (/^ ---> |^Removing intermediate container |^Successfully (built|tagged) /.test(line) || !this.#current) {
        messages.push(line);
        continue;
      }
      status.logs.push({ vertex: this.#current.digest, stream: 1, data: encodeUtf8(`${line}\n`) });
    }
    return { status, messages };
  }

  /** The stream ended: the running step is done. */
  finish(): BuildkitStatus {
    const status = EMPTY();
    this.#end(status);
    return status;
  }

  /** The build failed: the running step is the one that failed. */
  fail(message: string): BuildkitStatus {
    const status = EMPTY();
    if (this.#current) {
      status.vertexes.push({ digest: this.#current.digest, inputs: [], name: this.#current.name, cached: false, started: this.#current.started, completed: new Date(), error: message });
      this.#current = undefined;
    }
    return status;
  }

  #end(status: BuildkitStatus): void {
    const c = this.#current;
    if (!c) return;
    status.vertexes.push({ digest: c.digest, inputs: [], name: c.name, cached: c.cached, started: c.started, completed: new Date() });
    this.#current = undefined;
  }
}
