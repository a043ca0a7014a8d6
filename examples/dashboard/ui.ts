// The dashboard's small DOM helpers: elements, the toast, the one dialog, formatting.

import { DockerHttpError } from "../../adapters/browser.ts";

export const $ = <T extends HTMLElement = HTMLElement>(selector: string, root: ParentNode = document): T => root.querySelector(selector) as T;

export function el(tag: string, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElement {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

/** What went wrong, in the engine's own words when it was the engine that refused. */
export function message(err: unknown): string {
  if (err instanceof DockerHttpError) return err.reason;
  return err instanceof Error ? err.message : String(err);
}

let toastTimer: ReturnType<typeof setTimeout> | undefined;
export function toast(text: string): void {
  const t = $("#toast");
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (t.hidden = true), 8000);
}
$("#toast").addEventListener("click", () => ($("#toast").hidden = true));

/**
 * Asks in the page's dialog: a question, with a text field when `input` is given and a checkbox
 * when `check` is. Resolves with the answer, or undefined when cancelled.
 */
export function ask(text: string, options: { input?: string; check?: string; ok?: string } = {}): Promise<{ value: string; checked: boolean } | undefined> {
  const dialog = $<HTMLDialogElement>("#dialog");
  const input = $<HTMLInputElement>("#dialog-input");
  const check = $<HTMLInputElement>("#dialog-check");
  $("#dialog-text").textContent = text;
  input.hidden = options.input === undefined;
  input.value = options.input ?? "";
  $("#dialog-check-label").hidden = options.check === undefined;
  $("#dialog-check-label span").textContent = options.check ?? "";
  check.checked = false;
  $("#dialog-ok").textContent = options.ok ?? "OK";
  dialog.returnValue = "";
  dialog.showModal();
  if (!input.hidden) input.select();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok" ? { value: input.value.trim(), checked: check.checked } : undefined), { once: true });
  });
}

/** Runs a button's action with the button disabled meanwhile; a failure is toasted with the engine's message. */
export function action(button: HTMLButtonElement, label: string, run: () => Promise<unknown>, after?: () => void): void {
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await run();
    } catch (err) {
      toast(`${label}: ${message(err)}`);
    } finally {
      button.disabled = false;
      after?.();
    }
  });
}

export function bytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** "3 min ago" for a Unix time in seconds or an ISO date, with the exact time as a tooltip. */
export function ago(when: number | string | undefined): HTMLElement {
  if (when === undefined || when === "") return el("span");
  const date = typeof when === "number" ? new Date(when * 1000) : new Date(when);
  const s = Math.max(0, (Date.now() - date.getTime()) / 1000);
  const text = s < 60 ? "just now" : s < 3600 ? `${Math.floor(s / 60)} min ago` : s < 86400 ? `${Math.floor(s / 3600)} h ago` : `${Math.floor(s / 86400)} days ago`;
  return el("time", { datetime: date.toISOString(), title: date.toLocaleString() }, text);
}

export function filterOf(page: HTMLElement): string {
  return ($<HTMLInputElement>(".filter", page)?.value ?? "").trim().toLowerCase();
}

/** Fills a table body, with the card's count and empty message. */
export function fill(page: HTMLElement, body: HTMLElement, rows: HTMLElement[], total: number): void {
  body.replaceChildren(...rows);
  $(".count", page).textContent = total ? `(${rows.length}${rows.length !== total ? ` of ${total}` : ""})` : "";
  const empty = $(".empty", page);
  empty.hidden = rows.length > 0;
  empty.textContent = total ? "Nothing matches the filter." : "None.";
}

/** Colour and cursor escapes from TTY output; the log view shows plain text. */
export function stripAnsi(text: string): string {
  return text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, "").replace(/\r$/, "");
}
