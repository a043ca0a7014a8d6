// The running model of a BuildKit build: every StatusResponse folded into one list of steps, so a
// renderer (a terminal, the dashboard) only draws what it is given and a failed build can say
// which step failed and what that step printed last. BuildKit resends a vertex whenever it
// changes; a step is identified by its digest and keeps the place it was first seen in, which is
// the numbering `docker buildx build --progress=plain` uses (#1, #2, ...).

import { concatBytes, decodeUtf8 } from "../streams/bytes.ts";
import type { BuildkitStatus, BuildkitVertexStatus, BuildkitVertexWarning } from "./status.ts";

export type BuildStepState = "waiting" | "running" | "cached" | "done" | "failed";

/** One step, as the build stands now. */
export interface BuildStep {
  /** 1-based, in order of first appearance: the CLI's `#n`. */
  number: number;
  digest: string;
  name: string;
  inputs: string[];
  state: BuildStepState;
  cached: boolean;
  started?: Date;
  completed?: Date;
  error?: string;
  /** Byte progress inside the step (layers pulled, context sent), by status id, in order seen. */
  progress: BuildkitVertexStatus[];
  /** Output bytes the step's process wrote, in total (the kept tail is bounded). */
  outputBytes: number;
}

/** The last bytes of output kept per step: enough for an error report, bounded for huge builds. */
const KEPT_OUTPUT = 64 * 1024;

interface StepRecord extends BuildStep {
  output: Uint8Array[];
  keptBytes: number;
  statusIndex: Map<string, number>;
}

export class BuildModel {
  readonly #steps = new Map<string, StepRecord>();
  readonly #order: StepRecord[] = [];
  readonly #warnings: BuildkitVertexWarning[] = [];

  /** Folds one decoded StatusResponse into the model. */
  update(status: BuildkitStatus): void {
    for (const v of status.vertexes) {
      const step = this.#step(v.digest);
      if (v.name) step.name = v.name;
      if (v.inputs.length) step.inputs = v.inputs;
      step.cached ||= v.cached;
      if (v.started) step.started = v.started;
      if (v.completed) step.completed = v.completed;
      if (v.error) step.error = v.error;
      step.state = stateOf(step);
    }
    for (const s of status.statuses) {
      const step = this.#step(s.vertex);
      const at = step.statusIndex.get(s.id);
      if (at === undefined) {
        step.statusIndex.set(s.id, step.progress.length);
        step.progress.push(s);
      } else step.progress[at] = s;
    }
    for (const log of status.logs) {
      const step = this.#step(log.vertex);
      step.outputBytes += log.data.length;
      step.output.push(log.data);
      step.keptBytes += log.data.length;
      while (step.keptBytes - step.output[0]!.length >= KEPT_OUTPUT) step.keptBytes -= step.output.shift()!.length;
    }
    this.#warnings.push(...status.warnings);
  }

  /** The steps in order of first appearance (copies: the model keeps changing). */
  get steps(): BuildStep[] {
    return this.#order.map(publicStep);
  }

  get warnings(): BuildkitVertexWarning[] {
    return [...this.#warnings];
  }

  /** The first step that failed, if one did. */
  get failedStep(): BuildStep | undefined {
    const step = this.#order.find((s) => s.state === "failed");
    return step && publicStep(step);
  }

  /** The last `count` lines a step printed (stdout and stderr in the order they came). */
  outputLines(digest: string, count = 20): string[] {
    const step = this.#steps.get(digest);
    if (!step) return [];
    const text = decodeUtf8(concatBytes(step.output));
    const lines = text.split(/\r?\n/);
    if (lines[lines.length - 1] === "") lines.pop();
    // The kept tail may start mid-line: drop that fragment when older output was discarded.
    if (step.keptBytes < step.outputBytes && lines.length > 1) lines.shift();
    return lines.slice(-count);
  }

  #step(digest: string): StepRecord {
    let step = this.#steps.get(digest);
    if (!step) {
      step = {
        number: this.#order.length + 1,
        digest,
        name: "",
        inputs: [],
        state: "waiting",
        cached: false,
        progress: [],
        outputBytes: 0,
        output: [],
        keptBytes: 0,
        statusIndex: new Map(),
      };
      this.#steps.set(digest, step);
      this.#order.push(step);
    }
    return step;
  }
}

function stateOf(step: BuildStep): BuildStepState {
  if (step.error) return "failed";
  if (step.cached) return "cached";
  if (step.completed) return "done";
  if (step.started) return "running";
  return "waiting";
}

function publicStep(s: StepRecord): BuildStep {
  const { output: _output, keptBytes: _kept, statusIndex: _index, ...step } = s;
  return { ...step, inputs: [...step.inputs], progress: [...step.progress] };
}

/**
 * The exit code in a builder's failure message: BuildKit's `... exit code: 3`, the classic
 * builder's `... returned a non-zero code: 3`, buildah's `... exit status 3`.
 */
export function exitCodeOf(message: string): number | undefined {
  const m = /(?:exit code: |returned a non-zero code: |exit status )(\d+)/.exec(message);
  return m ? Number(m[1]) : undefined;
}
