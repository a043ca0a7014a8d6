// The images, volumes and networks pages: a list each, and removal.

import type { Docker, Image, ImageSummary, Network, Volume } from "../../adapters/browser.ts";
import { $, action, ago, ask, bytes, el, fill, filterOf } from "./ui.ts";

interface Page<T> {
  title: string;
  /** The column headers, one per cell, plus the actions column. */
  columns: string[];
  list(docker: Docker, signal: AbortSignal): Promise<T[]>;
  /** The row's name (data-name) and what the filter matches. */
  name(item: T): string;
  cells(item: T): (Node | string)[][];
  remove(item: T, force: boolean): Promise<unknown>;
  /** The removal question's checkbox, when there is a force to ask about. */
  force?: string;
}

const imageTags = (i: Image) => i.tags.filter((t) => t !== "<none>:<none>");

const PAGES: Record<string, Page<any>> = {
  images: {
    title: "Images",
    columns: ["Tags", "ID", "Size", "Created"],
    list: (docker, signal) => docker.images.list({ signal }),
    name: (i: Image) => imageTags(i)[0] ?? i.id.replace(/^sha256:/, "").slice(0, 12),
    cells: (i: Image) => {
      const info = (i.attrs ?? {}) as ImageSummary;
      return [[imageTags(i).join(", ") || "<none>"], [el("code", {}, i.id.replace(/^sha256:/, "").slice(0, 12))], [bytes(info.Size)], [ago(info.Created)]];
    },
    // An image tagged twice is refused without force: the engine's message says so.
    remove: (i: Image, force) => i.remove({ force }),
    force: "force: also when containers use it or it has several tags",
  } satisfies Page<Image>,
  volumes: {
    title: "Volumes",
    columns: ["Name", "Driver", "Mount point", "Created"],
    list: (docker, signal) => docker.volumes.list({ signal }),
    name: (v: Volume) => v.name,
    cells: (v: Volume) => [[v.name], [v.attrs?.Driver ?? ""], [el("code", {}, v.attrs?.Mountpoint ?? "")], [ago(v.attrs?.CreatedAt)]],
    remove: (v: Volume, force) => v.remove({ force }),
    force: "force",
  } satisfies Page<Volume>,
  networks: {
    title: "Networks",
    columns: ["Name", "ID", "Driver", "Scope"],
    list: (docker, signal) => docker.networks.list({ signal }),
    name: (n: Network) => n.name ?? n.id,
    cells: (n: Network) => [[n.name ?? ""], [el("code", {}, n.id.slice(0, 12))], [n.attrs?.Driver ?? ""], [n.attrs?.Scope ?? ""]],
    remove: (n: Network) => n.remove(),
  } satisfies Page<Network>,
};

const items: Record<string, unknown[]> = {};
let refreshAgain: (name: string) => void = () => {};

export function setupResources(onChange: (name: string) => void): void {
  refreshAgain = onChange;
}

export function isResourcePage(name: string): boolean {
  return name in PAGES;
}

export async function refreshResources(name: string, docker: Docker, signal: AbortSignal): Promise<void> {
  items[name] = await PAGES[name]!.list(docker, signal);
  renderResources(name);
}

export function renderResources(name: string): void {
  const def = PAGES[name]!;
  const page = $(`#page-${name}`);
  const needle = filterOf(page);
  const all = items[name] ?? [];
  const shown = all.filter((item) => !needle || def.cells(item).flat().map((c) => (typeof c === "string" ? c : c.textContent)).join(" ").toLowerCase().includes(needle));
  fill(page, $(`#${name}`), shown.map((item) => row(name, def, item)), all.length);
}

function row<T>(name: string, def: Page<T>, item: T): HTMLElement {
  const remove = el("button", { type: "button", class: "small action danger", "data-action": "remove" }, "Remove") as HTMLButtonElement;
  action(
    remove,
    `Removing ${def.name(item)} failed`,
    async () => {
      const answer = await ask(`Remove ${name.replace(/s$/, "")} ${def.name(item)}?`, { check: def.force, ok: "Remove" });
      if (answer) await def.remove(item, answer.checked);
    },
    () => refreshAgain(name),
  );
  return el("tr", { "data-name": def.name(item) }, ...def.cells(item).map((cell, i) => el("td", { class: def.columns[i] === "Size" ? "num" : "" }, ...cell)), el("td", { class: "actions" }, remove));
}

/** A page's card: its title, count and filter, and the table. */
function card(name: string, def: Page<unknown>): void {
  const filter = el("input", { class: "filter", type: "search", placeholder: "Filter", spellcheck: "false", "aria-label": `Filter ${name}` });
  filter.addEventListener("input", () => renderResources(name));
  $(`#page-${name}`).replaceChildren(
    el("div", { class: "card-head" }, el("h2", {}, `${def.title} `, el("span", { class: "muted count" })), el("div", { class: "tools" }, filter)),
    el(
      "div",
      { class: "table-wrap" },
      el("table", {}, el("thead", {}, el("tr", {}, ...def.columns.map((c) => el("th", { class: c === "Size" ? "num" : "" }, c)), el("th"))), el("tbody", { id: name })),
      el("p", { class: "empty", hidden: "" }),
    ),
  );
}

for (const [name, def] of Object.entries(PAGES)) card(name, def);
