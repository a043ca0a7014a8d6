// A shell in the picked container, in a real terminal (xterm.js): an exec with a TTY and stdin
// over the gateway's WebSocket exec, resized with the terminal. When the engine refuses (a paused
// or stopped container), the terminal says what the engine said.

import { FitAddon } from "@xterm/addon-fit";
import { Terminal } from "@xterm/xterm";
import type { Container, ExecSession } from "../../adapters/browser.ts";
import { $, message } from "./ui.ts";

const host = $("#terminal");
const status = $("#terminal-status");
const openButton = $<HTMLButtonElement>("#terminal-open");
const closeButton = $<HTMLButtonElement>("#terminal-close");
let term: Terminal | undefined;
let fit: FitAddon | undefined;
let shell: { session: ExecSession; id: string } | undefined;
/** The shell the container most likely has, else busybox's or POSIX sh. */
const SHELL = ["sh", "-c", "if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi"];

function terminal(): { term: Terminal; fit: FitAddon } {
  if (!term || !fit) {
    term = new Terminal({ convertEol: false, cursorBlink: true, fontSize: 13, scrollback: 5000, theme: { background: "#111827" } });
    fit = new FitAddon();
    term.loadAddon(fit);
    term.open(host);
    term.onData((data) => void shell?.session.write(data).catch(() => {}));
    term.onResize(({ cols, rows }) => void shell?.session.resize({ h: rows, w: cols }).catch(() => {}));
    // The panel's size decides the terminal's: the page narrowed, a tab shown again.
    new ResizeObserver(() => {
      if (host.offsetParent !== null) fit!.fit();
    }).observe(host);
  }
  return { term, fit };
}

export function closeTerminal(): void {
  shell?.session.close();
  shell = undefined;
  openButton.disabled = false;
  closeButton.disabled = true;
  status.textContent = "";
  term?.reset();
}

export async function openTerminal(c: Container): Promise<void> {
  closeTerminal();
  const { term, fit } = terminal();
  fit.fit();
  openButton.disabled = true;
  status.textContent = "starting a shell…";
  let session: ExecSession;
  try {
    const exec = await c.createExec(SHELL, { tty: true, stdin: true, env: { TERM: "xterm-256color" }, consoleSize: { h: term.rows, w: term.cols } });
    session = await exec.start({ stdin: true });
  } catch (err) {
    openButton.disabled = false;
    status.textContent = `cannot open a shell: ${message(err)}`;
    term.write(`\x1b[31m${message(err)}\x1b[0m\r\n`);
    return;
  }
  shell = { session, id: c.id };
  closeButton.disabled = false;
  status.textContent = `shell in ${c.id.slice(0, 12)}`;
  await session.resize({ h: term.rows, w: term.cols }).catch(() => {});
  term.focus();
  try {
    for await (const { data } of session) term.write(data);
    if (shell?.session === session) term.write("\r\n\x1b[2m[the shell ended]\x1b[0m\r\n");
  } catch (err) {
    if (shell?.session === session) term.write(`\r\n\x1b[31m${message(err)}\x1b[0m\r\n`);
  }
  if (shell?.session === session) {
    shell = undefined;
    openButton.disabled = false;
    closeButton.disabled = true;
    status.textContent = "";
  }
}

closeButton.addEventListener("click", () => closeTerminal());
