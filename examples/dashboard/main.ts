// A small dashboard for a Docker engine, in the browser, on berth's browser entry: containers with
// their live state (the events stream), start/stop/restart, live logs, and an attach terminal
// (the engine's WebSocket). Bundled and served by scripts/dashboard.mjs (`npm run dashboard`),
// which serves the engine's API beside the page, under /engine on the same origin: no CORS, and
// no engine port open to other pages.

import { Docker, type Container, type ContainerSummary, type Session } from "../../adapters/browser.ts";

/** The engine on the page's own origin (scripts/dashboard.mjs proxies it to the engine's socket). */
const DEFAULT_ENGINE = `${location.origin}/engine`;
/** Where the last engine picked is kept (a new key: the old one held a TCP engine that is gone). */
const STORED_ENGINE = "berth.dashboard.engine";
/** Lines kept in each console; older ones are dropped so a chatty container cannot exhaust the page. */
const MAX_LINES = 2000;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  connect: $<HTMLFormElement>("connect"),
  url: $<HTMLInputElement>("engine-url"),
  status: $("engine-status"),
  rows: $("containers"),
  empty: $("empty"),
  count: $("count"),
  filter: $<HTMLInputElement>("filter"),
  showAll: $<HTMLInputElement>("show-all"),
  logs: $("logs"),
  logsTitle: $("logs-title"),
  logsFollow: $<HTMLInputElement>("logs-follow"),
  logsClear: $<HTMLButtonElement>("logs-clear"),
  terminal: $("terminal"),
  terminalTitle: $("terminal-title"),
  terminalForm: $<HTMLFormElement>("terminal-form"),
  terminalInput: $<HTMLInputElement>("terminal-input"),
  terminalDetach: $<HTMLButtonElement>("terminal-detach"),
  toast: $("toast"),
};

let docker: Docker | undefined;
/** Aborted when the dashboard connects elsewhere: ends the events stream and everything else. */
let connection = new AbortController();
let containers: Container[] = [];
let logs: { id: string; stop: AbortController } | undefined;
let terminal: { id: string; session: Session } | undefined;

// ---------------------------------------------------------------------------------------------
// Engine connection

async function connect(url: string): Promise<void> {
  connection.abort();
  connection = new AbortController();
  const signal = connection.signal;
  stopLogs();
  detach();
  setStatus("busy", `connecting to ${url}…`);
  try {
    docker = new Docker({ url });
    const version = await docker.version({ signal, timeout: 10_000 });
    localStorage.setItem(STORED_ENGINE, url);
    setStatus("live", `Docker ${version.Version} · API ${await docker.apiVersion()} · live`);
    await refresh();
    void watchEvents(docker, signal);
  } catch (err) {
    if (signal.aborted) return;
    docker = undefined;
    containers = [];
    render();
    setStatus("error", "not connected");
    toast(`Cannot reach the engine at ${url}: ${message(err)}`);
  }
}

/** Follows container events and refreshes the list on each; reconnects when the stream drops. */
async function watchEvents(engine: Docker, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      const events = await engine.events({ signal, timeout: 10_000, filters: { type: ["container"] } });
      setStatus("live", ui.status.textContent!.replace(/ · (reconnecting…|live)$/, "") + " · live");
      for await (const event of events) {
        if (event.Action?.startsWith("exec_")) continue; // exec_create/start/die: no state change
        scheduleRefresh(event.Actor?.ID);
      }
    } catch (err) {
      if (signal.aborted) return;
      console.warn("events stream ended:", err);
    }
    if (signal.aborted) return;
    setStatus("busy", ui.status.textContent!.replace(/ · (reconnecting…|live)$/, "") + " · reconnecting…");
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

let refreshTimer: ReturnType<typeof setTimeout> | undefined;
const flashing = new Set<string>();

/** Events come in bursts (create, start, attach...): one list request per burst. */
function scheduleRefresh(id?: string): void {
  if (id) flashing.add(id);
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => void refresh().catch((err) => toast(message(err))), 120);
}

async function refresh(): Promise<void> {
  if (!docker) return;
  containers = await docker.containers.list({ all: ui.showAll.checked, signal: connection.signal });
  render();
}

// ---------------------------------------------------------------------------------------------
// The container table

function summary(c: Container): ContainerSummary {
  return (c.attrs ?? {}) as ContainerSummary;
}

function render(): void {
  const needle = ui.filter.value.trim().toLowerCase();
  const shown = containers.filter((c) => !needle || `${c.name} ${summary(c).Image}`.toLowerCase().includes(needle));
  ui.count.textContent = containers.length ? `(${shown.length}${shown.length !== containers.length ? ` of ${containers.length}` : ""})` : "";
  ui.empty.hidden = shown.length > 0;
  ui.empty.textContent = docker ? (containers.length ? "No container matches the filter." : "No containers.") : "Connect to an engine to see its containers.";
  ui.rows.replaceChildren(...shown.map(row));
  flashing.clear();
}

function row(c: Container): HTMLTableRowElement {
  const info = summary(c);
  const state = info.State ?? "unknown";
  const running = state === "running" || state === "restarting" || state === "paused";
  const tr = el("tr", { "data-id": c.id, "data-name": c.name ?? "" }) as HTMLTableRowElement;
  if (flashing.has(c.id)) tr.classList.add("flash");
  tr.append(
    el("td", {}, el("span", { class: "state", "data-state": state }, state)),
    el("td", { class: "name", title: c.id }, c.name ?? c.id.slice(0, 12)),
    el("td", { class: "image", title: info.Image ?? "" }, info.Image ?? ""),
    el("td", { class: "status" }, info.Status ?? ""),
    el(
      "td",
      { class: "actions" },
      el(
        "div",
        { class: "buttons" },
        button("start", "Start", !running, () => c.start()),
        button("stop", "Stop", running, () => c.stop({ t: 3 })),
        button("restart", "Restart", true, () => c.restart({ t: 3 })),
        button("logs", "Logs", true, () => openLogs(c), logs?.id === c.id),
        button("attach", "Attach", running, () => openTerminal(c), terminal?.id === c.id),
      ),
    ),
  );
  return tr;
}

function button(action: string, label: string, enabled: boolean, run: () => Promise<unknown>, selected = false): HTMLButtonElement {
  const b = el("button", { type: "button", class: `small action${selected ? " selected" : ""}`, "data-action": action }, label) as HTMLButtonElement;
  b.disabled = !enabled;
  b.addEventListener("click", async () => {
    b.disabled = true;
    try {
      await run();
    } catch (err) {
      toast(`${label} failed: ${message(err)}`);
    } finally {
      b.disabled = false;
      scheduleRefresh(); // the events stream refreshes too; this covers an engine without it
    }
  });
  return b;
}

// ---------------------------------------------------------------------------------------------
// Logs

function stopLogs(): void {
  logs?.stop.abort();
  logs = undefined;
}

async function openLogs(c: Container): Promise<void> {
  stopLogs();
  const stop = new AbortController();
  logs = { id: c.id, stop };
  render();
  ui.logs.replaceChildren();
  ui.logsTitle.textContent = `— ${c.name ?? c.id.slice(0, 12)}`;
  const follow = ui.logsFollow.checked;
  // The stream runs on after this function returns; a failure is shown in the panel.
  void (async () => {
    try {
      const stream = await c.logs({ follow, tail: 500, signal: stop.signal });
      for await (const { stream: which, line } of stream.lines()) append(ui.logs, stripAnsi(line) + "\n", which === "stderr" ? "stderr" : undefined);
      if (!stop.signal.aborted) append(ui.logs, follow ? "[the container stopped: end of logs]\n" : "[end of logs]\n", "note");
    } catch (err) {
      if (!stop.signal.aborted) append(ui.logs, `[logs failed: ${message(err)}]\n`, "note");
    }
  })();
}

// ---------------------------------------------------------------------------------------------
// Attach terminal

function detach(): void {
  terminal?.session.close();
  terminal = undefined;
  ui.terminalInput.disabled = true;
  ui.terminalDetach.disabled = true;
}

async function openTerminal(c: Container): Promise<void> {
  detach();
  ui.terminal.replaceChildren();
  const name = c.name ?? c.id.slice(0, 12);
  ui.terminalTitle.textContent = `— ${name}`;
  const info = await c.inspect();
  const stdin = info.Config?.OpenStdin === true;
  const session = await c.attach({ stdin, tty: info.Config?.Tty ?? false });
  terminal = { id: c.id, session };
  render();
  ui.terminalDetach.disabled = false;
  append(ui.terminal, `[attached to ${name}${stdin ? "" : " — output only: it was created without an open stdin"}]\n`, "note");
  if (stdin) {
    ui.terminalInput.disabled = false;
    ui.terminalInput.focus();
  }
  const decoder = new TextDecoder();
  try {
    for await (const { data } of session) append(ui.terminal, stripAnsi(decoder.decode(data, { stream: true })));
    if (terminal?.session === session) append(ui.terminal, "[the connection closed]\n", "note");
  } catch (err) {
    if (terminal?.session === session) append(ui.terminal, `[attach failed: ${message(err)}]\n`, "note");
  }
  if (terminal?.session === session) {
    detach();
    render();
  }
}

ui.terminalForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!terminal) return;
  const line = ui.terminalInput.value;
  ui.terminalInput.value = "";
  append(ui.terminal, `› ${line}\n`, "typed");
  try {
    await terminal.session.write(line + "\n");
  } catch (err) {
    toast(`Cannot write to the container: ${message(err)}`);
  }
});

ui.terminalDetach.addEventListener("click", () => {
  append(ui.terminal, "[detached]\n", "note");
  detach();
  render();
});

// ---------------------------------------------------------------------------------------------
// Helpers and wiring

function append(target: HTMLElement, text: string, kind?: "stderr" | "note" | "typed"): void {
  const atBottom = target.scrollTop + target.clientHeight >= target.scrollHeight - 4;
  if (kind) target.append(el("span", { class: kind }, text));
  else target.append(text);
  while (target.childNodes.length > MAX_LINES) target.firstChild!.remove();
  if (atBottom) target.scrollTop = target.scrollHeight;
}

function el(tag: string, attrs: Record<string, string>, ...children: (Node | string)[]): HTMLElement {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

function setStatus(state: "idle" | "busy" | "live" | "error", text: string): void {
  ui.status.dataset.state = state;
  ui.status.textContent = text;
}

let toastTimer: ReturnType<typeof setTimeout> | undefined;
function toast(text: string): void {
  ui.toast.textContent = text;
  ui.toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (ui.toast.hidden = true), 6000);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Colour and cursor escapes from TTY output; the console shows plain text. */
function stripAnsi(text: string): string {
  return text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, "").replace(/\r(?!\n)/g, "").replace(/\r\n/g, "\n");
}

ui.connect.addEventListener("submit", (event) => {
  event.preventDefault();
  void connect(ui.url.value.trim());
});
ui.filter.addEventListener("input", render);
ui.showAll.addEventListener("change", () => void refresh().catch((err) => toast(message(err))));
ui.logsClear.addEventListener("click", () => ui.logs.replaceChildren());
ui.toast.addEventListener("click", () => (ui.toast.hidden = true));

const fromQuery = new URLSearchParams(location.search).get("engine");
ui.url.value = fromQuery ?? localStorage.getItem(STORED_ENGINE) ?? DEFAULT_ENGINE;
ui.filter.value = new URLSearchParams(location.search).get("filter") ?? "";
render();
void connect(ui.url.value);
