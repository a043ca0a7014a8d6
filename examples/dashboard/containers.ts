// The containers page: the list (state, short id, image, published ports as links, created, live
// CPU and memory), and the picked container's actions, logs, terminal and inspect view.

import type { Container, ContainerStatsResponse, ContainerSummary, Docker } from "../../adapters/browser.ts";
import { openLogs, stopLogs } from "./logs.ts";
import { closeTerminal, openTerminal } from "./terminal.ts";
import { $, action, ago, ask, bytes, el, fill, filterOf, message, toast } from "./ui.ts";

const page = $("#page-containers");
const body = $("#containers");
const detail = $("#detail");
let containers: Container[] = [];
let picked: string | undefined;
let tab = "logs";
/** The last stats sample of each container, for the CPU share between two samples. */
const samples = new Map<string, { cpu: number; system: number; online: number; memory: string; percent?: string }>();

const summary = (c: Container) => (c.attrs ?? {}) as ContainerSummary;
const nameOf = (c: Container) => c.name ?? c.shortId;

export async function refreshContainers(docker: Docker, signal: AbortSignal): Promise<void> {
  containers = await docker.containers.list({ all: $<HTMLInputElement>("#show-all").checked, signal });
  renderContainers();
}

export function renderContainers(): void {
  const needle = filterOf(page);
  const shown = containers.filter((c) => !needle || `${nameOf(c)} ${c.id} ${summary(c).Image}`.toLowerCase().includes(needle));
  fill(page, body, shown.map(row), containers.length);
  const current = containers.find((c) => c.id === picked);
  if (current) $("#detail-title").replaceChildren(nameOf(current), " ", el("span", { class: "state", "data-state": summary(current).State ?? "" }, summary(current).State ?? ""), " ", el("code", { class: "muted" }, current.shortId));
}

function row(c: Container): HTMLElement {
  const info = summary(c);
  const state = info.State ?? "unknown";
  const sample = samples.get(c.id);
  const live = state === "running";
  const tr = el(
    "tr",
    { "data-id": c.id, "data-name": nameOf(c), class: c.id === picked ? "picked" : "" },
    el("td", {}, el("span", { class: "state", "data-state": state }, state)),
    el("td", { class: "name" }, el("button", { type: "button", class: "link", "data-open": "" }, nameOf(c)), el("code", { class: "muted id" }, c.shortId)),
    el("td", { class: "image", title: info.Image ?? "" }, info.Image ?? ""),
    el("td", { class: "ports" }, ...ports(info)),
    el("td", { class: "created" }, ago(info.Created)),
    el("td", { class: "num cpu" }, live ? sample?.percent ?? "…" : ""),
    el("td", { class: "num memory" }, live ? sample?.memory ?? "…" : ""),
  );
  tr.addEventListener("click", () => pick(c.id));
  return tr;
}

/** Published ports as links to the host they are published on (the page's host for 0.0.0.0 and ::). */
function ports(info: ContainerSummary): (Node | string)[] {
  const seen = new Set<string>();
  const out: (Node | string)[] = [];
  for (const p of info.Ports ?? []) {
    const text = p.PublicPort ? `${p.IP ?? ""}:${p.PublicPort}→${p.PrivatePort}/${p.Type}` : `${p.PrivatePort}/${p.Type}`;
    if (seen.has(text)) continue;
    seen.add(text);
    if (p.PublicPort && p.Type === "tcp") {
      const host = !p.IP || p.IP === "0.0.0.0" || p.IP === "::" ? location.hostname : p.IP;
      const href = `http://${host.includes(":") ? `[${host}]` : host}:${p.PublicPort}/`;
      out.push(el("a", { href, target: "_blank", rel: "noopener noreferrer" }, text), " ");
    } else out.push(el("span", {}, text), " ");
  }
  return out;
}

/**
 * Samples the running containers' CPU and memory while their page is shown, one request at a time
 * (a browser keeps at most six connections to the gateway; the events and logs streams hold two).
 */
export async function sampleStats(signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    const shown = !page.hidden && !document.hidden;
    for (const c of shown ? containers.filter((c) => summary(c).State === "running") : []) {
      if (signal.aborted) return;
      try {
        record(c.id, await c.stats({ oneShot: true, signal, timeout: 10_000 }));
      } catch {
        samples.delete(c.id); // gone meanwhile
      }
    }
    if (shown) renderContainers();
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

function record(id: string, s: ContainerStatsResponse): void {
  const cpu = s.cpu_stats?.cpu_usage?.total_usage ?? 0;
  const system = s.cpu_stats?.system_cpu_usage ?? 0;
  const online = s.cpu_stats?.online_cpus ?? s.cpu_stats?.cpu_usage?.percpu_usage?.length ?? 1;
  const m = s.memory_stats ?? {};
  const stats = (m.stats ?? {}) as Record<string, number>;
  // As the Docker CLI counts it: the page cache that can be dropped is not the container's.
  const used = (m.usage ?? 0) - (stats.inactive_file ?? stats.total_inactive_file ?? 0);
  const memory = m.limit ? `${bytes(used)} / ${bytes(m.limit)}` : bytes(used);
  const last = samples.get(id);
  let percent: string | undefined;
  if (last && system > last.system) percent = `${(((cpu - last.cpu) / (system - last.system)) * online * 100).toFixed(1)} %`;
  samples.set(id, { cpu, system, online, memory, percent: percent ?? last?.percent });
}

// ---------------------------------------------------------------------------------------------
// The picked container

let docker: Docker | undefined;
let refresh: () => void = () => {};

export function setupContainers(engine: Docker, onChange: () => void): void {
  docker = engine;
  refresh = onChange;
}

function current(): Container | undefined {
  return picked && docker ? docker.containers.ref(picked) : undefined;
}

function pick(id: string): void {
  if (picked === id) return;
  picked = id;
  detail.hidden = false;
  stopLogs();
  closeTerminal();
  $("#inspect").textContent = "";
  renderContainers();
  showTab(tab);
  detail.scrollIntoView({ block: "nearest" });
}

function unpick(): void {
  picked = undefined;
  detail.hidden = true;
  stopLogs();
  closeTerminal();
  renderContainers();
}

function showTab(name: string): void {
  tab = name;
  for (const b of detail.querySelectorAll<HTMLButtonElement>("[data-tab]")) b.setAttribute("aria-selected", String(b.dataset.tab === name));
  for (const p of detail.querySelectorAll<HTMLElement>("[data-pane]")) p.hidden = p.dataset.pane !== name;
  const c = current();
  if (!c) return;
  const known = containers.find((x) => x.id === c.id);
  const label = known ? nameOf(known) : c.id.slice(0, 12);
  if (name === "logs") void openLogs(c, label);
  if (name === "inspect") void inspect(c);
  if (name === "terminal") $("#terminal-status").textContent ||= "";
}

async function inspect(c: Container): Promise<void> {
  const out = $("#inspect");
  try {
    out.textContent = JSON.stringify(await c.inspect(), null, 2);
  } catch (err) {
    out.textContent = `inspect failed: ${message(err)}`;
  }
}

const ACTIONS: Record<string, (c: Container) => Promise<unknown>> = {
  start: (c) => c.start(),
  stop: (c) => c.stop({ t: 5 }),
  restart: (c) => c.restart({ t: 5 }),
  pause: (c) => c.pause(),
  unpause: (c) => c.unpause(),
  kill: (c) => c.kill(),
  rename: async (c) => {
    const known = containers.find((x) => x.id === c.id);
    const answer = await ask("A new name for the container:", { input: known ? nameOf(known) : "", ok: "Rename" });
    if (answer?.value) await c.rename(answer.value);
  },
  remove: async (c) => {
    const known = containers.find((x) => x.id === c.id);
    const answer = await ask(`Remove the container ${known ? nameOf(known) : c.shortId}?`, { check: "force: kill it first if it runs", ok: "Remove" });
    if (!answer) return;
    await c.remove({ force: answer.checked });
    unpick();
  },
};

for (const b of detail.querySelectorAll<HTMLButtonElement>("[data-action]")) {
  const name = b.dataset.action!;
  action(
    b,
    `${b.textContent} failed`,
    async () => {
      const c = current();
      if (c) await ACTIONS[name]!(c);
      if (tab === "inspect" && picked) void inspect(current()!);
    },
    () => refresh(),
  );
}
for (const b of detail.querySelectorAll<HTMLButtonElement>("[data-tab]")) b.addEventListener("click", () => showTab(b.dataset.tab!));
$("#terminal-open").addEventListener("click", () => {
  const c = current();
  if (c) void openTerminal(c).catch((err) => toast(message(err)));
});
$("#show-all").addEventListener("change", () => refresh());
$<HTMLInputElement>(".filter", page).addEventListener("input", renderContainers);

/** After an event for the picked container that removed it. */
export function forget(id: string): void {
  if (picked === id) unpick();
}
