// The build page: a Dockerfile built with BuildKit (or the classic builder), its steps as they
// run from the build stream's step model, each with its output, then the image or the error.

import type { Builder, BuildStep, BuildStream, Docker } from "../../adapters/browser.ts";
import { $, el, message } from "./ui.ts";

const form = $<HTMLFormElement>("#build-form");
const steps = $("#build-steps");
const result = $("#build-result");
const startButton = $<HTMLButtonElement>("#build-start");
const cancelButton = $<HTMLButtonElement>("#build-cancel");
let running: BuildStream | undefined;
let getDocker: () => Docker | undefined = () => undefined;
let built: () => void = () => {};

export function setupBuild(docker: () => Docker | undefined, onBuilt: () => void): void {
  getDocker = docker;
  built = onBuilt;
}

/** The step's list item, made on first sight. */
function item(step: BuildStep): HTMLElement {
  let li = steps.querySelector<HTMLElement>(`li[data-step="${step.number}"]`);
  if (!li) {
    li = el("li", { "data-step": String(step.number) }, el("div", { class: "step-head" }), el("pre", { class: "step-log", hidden: "" }));
    steps.append(li);
  }
  return li;
}

function renderStep(step: BuildStep): void {
  const li = item(step);
  li.dataset.state = step.state;
  const took = step.started && step.completed ? `${((step.completed.getTime() - step.started.getTime()) / 1000).toFixed(1)} s` : "";
  li.querySelector(".step-head")!.replaceChildren(
    el("span", { class: "state", "data-state": step.state }, step.state),
    el("span", { class: "step-name" }, `#${step.number} ${step.name}`),
    el("span", { class: "muted" }, [step.cached ? "cached" : "", took].filter(Boolean).join(" · ")),
  );
  if (step.error) appendLog(li, `error: ${step.error}\n`);
}

function appendLog(li: HTMLElement, text: string): void {
  const pre = li.querySelector<HTMLElement>(".step-log")!;
  pre.hidden = false;
  pre.append(text);
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const docker = getDocker();
  if (!docker || running) return;
  steps.replaceChildren();
  result.textContent = "building…";
  result.dataset.state = "running";
  startButton.disabled = true;
  cancelButton.disabled = false;
  const tag = $<HTMLInputElement>("#build-tag").value.trim();
  const builder = $<HTMLSelectElement>("#build-builder").value as Builder;
  try {
    running = await docker.images.buildStream([{ name: "Dockerfile", data: $<HTMLTextAreaElement>("#build-dockerfile").value }], { tag: tag || undefined, builder });
    for await (const e of running) {
      if (e.type === "step") renderStep(e.step);
      else if (e.type === "log") appendLog(item(e.step), e.text);
      else if (e.type === "message" && e.text.trim()) steps.append(el("li", { class: "message" }, e.text.trim()));
      else if (e.type === "warning") steps.append(el("li", { class: "message" }, `warning: ${e.warning.short}`));
    }
    const done = await running.done();
    result.textContent = `built ${done.id?.replace(/^sha256:/, "").slice(0, 12) ?? ""}${tag ? ` as ${tag}` : ""} (${done.builder})`;
    result.dataset.state = "done";
    built();
  } catch (err) {
    result.textContent = `failed: ${message(err)}`;
    result.dataset.state = "failed";
  } finally {
    running = undefined;
    startButton.disabled = false;
    cancelButton.disabled = true;
  }
});

cancelButton.addEventListener("click", () => running?.cancel());
