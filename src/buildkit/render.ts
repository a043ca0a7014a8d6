// Build progress as text, the way `docker buildx build --progress=plain` prints it: each step as
// `#n name`, its byte progress, its output lines with the seconds since it started, and how it
// ended (`#n DONE 0.4s`, `#n CACHED`, `#n ERROR: ...`). Pure: it returns lines; the caller
// prints them (a terminal, a log file, a web page).

import type { BuildEvent } from "./build-stream.ts";
import type { BuildStep } from "./model.ts";

export class PlainProgress {
  #lastStep: number | undefined;
  readonly #partial = new Map<number, string>();

  /** The lines one event adds (possibly none). */
  render(event: BuildEvent): string[] {
    const out: string[] = [];
    switch (event.type) {
      case "step": {
        const s = event.step;
        this.#announce(s, out);
        if (s.state === "cached") out.push(`#${s.number} CACHED`);
        else if (s.state === "done") {
          this.#flush(s, out);
          out.push(`#${s.number} DONE ${seconds(s)}`);
        } else if (s.state === "failed") {
          this.#flush(s, out);
          out.push(`#${s.number} ERROR: ${s.error}`);
        }
        break;
      }
      case "progress": {
        const { step, status } = event;
        this.#announce(step, out);
        const amount = status.total > 0 ? `${bytes(status.current)} / ${bytes(status.total)}` : status.current > 0 ? bytes(status.current) : "";
        const name = status.name || status.id;
        out.push(`#${step.number} ${name}${amount ? ` ${amount}` : ""}${status.completed ? " done" : ""}`);
        break;
      }
      case "log": {
        const { step } = event;
        this.#announce(step, out);
        const at = step.started ? ((Date.now() - step.started.getTime()) / 1000).toFixed(3) : "0.000";
        const text = (this.#partial.get(step.number) ?? "") + event.text;
        const lines = text.split("\n");
        this.#partial.set(step.number, lines.pop()!);
        for (const line of lines) out.push(`#${step.number} ${at} ${line.replace(/\r$/, "")}`);
        break;
      }
      case "warning":
        out.push(`WARNING: ${event.warning.short}`);
        break;
      case "image":
      case "message":
        break;
    }
    return out;
  }

  #announce(step: BuildStep, out: string[]): void {
    if (this.#lastStep !== step.number) {
      if (this.#lastStep !== undefined) out.push("");
      this.#lastStep = step.number;
      out.push(`#${step.number} ${step.name}`);
    }
  }

  #flush(step: BuildStep, out: string[]): void {
    const rest = this.#partial.get(step.number);
    if (rest) out.push(`#${step.number} ${rest}`);
    this.#partial.delete(step.number);
  }
}

function seconds(step: BuildStep): string {
  if (!step.started || !step.completed) return "0.0s";
  return `${Math.max(0, (step.completed.getTime() - step.started.getTime()) / 1000).toFixed(1)}s`;
}

function bytes(n: number): string {
  if (n < 1024) return `${n}B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(2)}kB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(2)}MB`;
  return `${(n / 1024 ** 3).toFixed(2)}GB`;
}
