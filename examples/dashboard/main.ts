// The dashboard for a Docker engine, on berth's browser entry, served by berth's gateway
// (`npx berth-docker dashboard`, adapters/dashboard.ts): the page and the Engine API share the
// gateway's origin and its token cookie, and exec goes over the gateway's WebSocket exec.
//
// Pages: containers (live state from the events stream, CPU and memory from stats, actions,
// logs, a terminal, inspect), images, volumes, networks, and a build view. A `?filter=` in the
// address presets every page's filter.

import { Docker } from "../../adapters/browser.ts";
import { setupBuild } from "./build.ts";
import { forget, refreshContainers, renderContainers, sampleStats, setupContainers } from "./containers.ts";
import { isResourcePage, refreshResources, setupResources } from "./resources.ts";
import { $, message, toast } from "./ui.ts";

const docker = new Docker({ url: location.origin, gateway: true });
const connection = new AbortController();
let page = "containers";

function setStatus(state: "busy" | "live" | "error", text: string): void {
  const pill = $("#engine-status");
  pill.dataset.state = state;
  pill.textContent = text;
}

async function refresh(name = page): Promise<void> {
  try {
    if (name === "containers") await refreshContainers(docker, connection.signal);
    else if (isResourcePage(name)) await refreshResources(name, docker, connection.signal);
  } catch (err) {
    if (!connection.signal.aborted) toast(`Listing ${name} failed: ${message(err)}`);
  }
}

let timer: ReturnType<typeof setTimeout> | undefined;
/** Events come in bursts (create, start, attach...): one list request per burst. */
function scheduleRefresh(): void {
  clearTimeout(timer);
  timer = setTimeout(() => void refresh(), 150);
}

function show(name: string): void {
  if (!document.querySelector(`.page[data-page="${name}"]`)) name = "containers";
  page = name;
  for (const p of document.querySelectorAll<HTMLElement>(".page")) p.hidden = p.dataset.page !== name;
  for (const a of document.querySelectorAll<HTMLElement>("#nav a")) a.setAttribute("aria-current", String(a.dataset.page === name));
  void refresh(name);
}

/** Follows the engine's events and refreshes the page shown; reconnects when the stream drops. */
async function watchEvents(version: string): Promise<void> {
  const signal = connection.signal;
  while (!signal.aborted) {
    try {
      const events = await docker.events({ signal, timeout: 10_000, filters: { type: ["container", "image", "volume", "network"] } });
      setStatus("live", `${version} · live`);
      for await (const event of events) {
        if (event.Action?.startsWith("exec_")) continue; // exec_create/start/die: no state change
        if (event.Type === "container" && event.Action === "destroy" && event.Actor?.ID) forget(event.Actor.ID);
        scheduleRefresh();
      }
    } catch (err) {
      if (signal.aborted) return;
      console.warn("events stream ended:", err);
    }
    setStatus("busy", `${version} · reconnecting…`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

async function start(): Promise<void> {
  try {
    const version = await docker.version({ signal: connection.signal, timeout: 10_000 });
    const text = `Docker ${version.Version} · API ${await docker.apiVersion()}`;
    setStatus("live", `${text} · live`);
    show(location.hash.slice(1) || "containers");
    void watchEvents(text);
    void sampleStats(connection.signal);
  } catch (err) {
    setStatus("error", "not connected");
    toast(`Cannot reach the engine through the gateway: ${message(err)}`);
  }
}

setupContainers(docker, () => void refresh("containers"));
setupResources((name) => void refresh(name));
setupBuild(() => docker, () => void refresh());
window.addEventListener("hashchange", () => show(location.hash.slice(1)));
const preset = new URLSearchParams(location.search).get("filter");
if (preset) for (const input of document.querySelectorAll<HTMLInputElement>(".filter")) input.value = preset;
renderContainers();
void start();
