// A container's logs: followed live, with the engine's timestamps, a search that keeps only the
// matching lines in view, and a download of what was received.

import type { Container } from "../../adapters/browser.ts";
import { $, el, message, stripAnsi } from "./ui.ts";

/** Lines kept; older ones are dropped so a chatty container cannot exhaust the page. */
const MAX_LINES = 5000;
const view = $("#logs");
const search = $<HTMLInputElement>("#logs-search");
let current: { c: Container; name: string; stop: AbortController; lines: { time: string; stream: string; text: string }[] } | undefined;

export function stopLogs(): void {
  current?.stop.abort();
  current = undefined;
}

export async function openLogs(c: Container, name: string): Promise<void> {
  stopLogs();
  const stop = new AbortController();
  const state = { c, name, stop, lines: [] as { time: string; stream: string; text: string }[] };
  current = state;
  view.replaceChildren();
  const follow = $<HTMLInputElement>("#logs-follow").checked;
  try {
    const stream = await c.logs({ follow, tail: 1000, timestamps: true, signal: stop.signal });
    // With `timestamps`, berth parses each line's time off its front.
    for await (const { stream: which, line, timestampText } of stream.lines()) {
      if (current !== state) break;
      add(state, { time: timestampText ?? "", stream: which, text: stripAnsi(line) });
    }
    if (current === state) note(follow ? "the container stopped: end of logs" : "end of logs");
  } catch (err) {
    if (current === state) note(`logs failed: ${message(err)}`);
  }
}

function add(state: NonNullable<typeof current>, line: { time: string; stream: string; text: string }): void {
  state.lines.push(line);
  if (state.lines.length > MAX_LINES) state.lines.shift();
  const atBottom = view.scrollTop + view.clientHeight >= view.scrollHeight - 4;
  const node = el("div", { class: `line ${line.stream}` }, el("time", {}, line.time.replace("T", " ").replace(/\.(\d{3})\d*Z$/, ".$1Z")), line.text);
  node.hidden = !matches(line.text);
  view.append(node);
  while (view.childElementCount > MAX_LINES) view.firstElementChild!.remove();
  if (atBottom) view.scrollTop = view.scrollHeight;
  countMatches();
}

function note(text: string): void {
  view.append(el("div", { class: "line note" }, `[${text}]`));
}

function matches(text: string): boolean {
  const needle = search.value.trim().toLowerCase();
  return !needle || text.toLowerCase().includes(needle);
}

function countMatches(): void {
  const needle = search.value.trim();
  const shown = current ? current.lines.filter((l) => matches(l.text)).length : 0;
  $("#logs-matches").textContent = needle ? `${shown} matching line${shown === 1 ? "" : "s"}` : "";
}

search.addEventListener("input", () => {
  for (const node of view.querySelectorAll<HTMLElement>(".line:not(.note)")) node.hidden = !matches(node.lastChild?.textContent ?? "");
  countMatches();
});
$<HTMLInputElement>("#logs-timestamps").addEventListener("change", (e) => view.classList.toggle("no-times", !(e.target as HTMLInputElement).checked));

$("#logs-download").addEventListener("click", () => {
  if (!current) return;
  const text = current.lines.map((l) => (l.time ? `${l.time} ${l.text}` : l.text)).join("\n") + "\n";
  const url = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
  const a = el("a", { href: url, download: `${current.name}.log` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
});
$<HTMLInputElement>("#logs-follow").addEventListener("change", () => {
  if (current) void openLogs(current.c, current.name);
});
