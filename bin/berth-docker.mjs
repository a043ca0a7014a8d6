#!/usr/bin/env node
// npx berth-docker serve     [options]   the gateway: the Engine API for pages and scripts, behind a per-run token
// npx berth-docker dashboard [options]   the same gateway, serving the dashboard, which it opens in a browser
//
// docs/browser.md describes both. The one-time URL is printed once; the token appears nowhere
// else (not on a command line: the browser is given a private file that leads to the URL).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { serveDashboard, serveGateway } from "../dist/node.js";

const USAGE = `usage: berth-docker serve|dashboard [--port N] [--host ADDR] [--read-only] [--allow "METHOD /path"]...
                          [--engine DOCKER_HOST] [--origin ORIGIN]... [--tls-cert FILE --tls-key FILE] [--no-open]

  serve             the gateway alone: the Engine API behind a per-run token
  dashboard         the gateway with the dashboard; opens it in a browser when one is available

  --port N          the port (default: a free one)
  --host ADDR       the address to listen on (default 127.0.0.1; another one reaches the network: use TLS)
  --read-only       GET and HEAD only; no attach, no exec
  --allow OP        let through only these operations, e.g. --allow "GET /containers/json" --allow "POST /containers/{id}/start"
  --engine HOST     the engine (default DOCKER_HOST, else unix:///var/run/docker.sock): unix:// or tcp://
  --origin ORIGIN   another page origin that may use the gateway (CORS with credentials)
  --tls-cert FILE, --tls-key FILE   serve HTTPS
  --no-open         (dashboard) print the URL only, open no browser`;

function fail(message) {
  process.stderr.write(`berth-docker: ${message}\n${USAGE}\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
const command = args.shift();
if (command === "--help" || command === "-h" || command === "help") {
  process.stdout.write(USAGE + "\n");
  process.exit(0);
}
if (command !== "serve" && command !== "dashboard") fail(command === undefined ? "a command is needed" : `unknown command "${command}"`);

const options = { allow: undefined, origins: [] };
let cert, key;
let open = command === "dashboard";
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  const value = () => {
    const v = args[++i];
    if (v === undefined) fail(`${arg} needs a value`);
    return v;
  };
  if (arg === "--port") {
    const v = value();
    if (!/^\d+$/.test(v) || Number(v) > 65535) fail(`--port ${v}: expected a number from 0 to 65535`);
    options.port = Number(v);
  } else if (arg === "--host") options.host = value();
  else if (arg === "--read-only") options.readOnly = true;
  else if (arg === "--allow") (options.allow ??= []).push(value());
  else if (arg === "--engine") options.engine = value();
  else if (arg === "--origin") options.origins.push(value());
  else if (arg === "--tls-cert") cert = value();
  else if (arg === "--tls-key") key = value();
  else if (arg === "--no-open") open = false;
  else if (arg === "--help" || arg === "-h") {
    process.stdout.write(USAGE + "\n");
    process.exit(0);
  } else fail(`unknown option "${arg}"`);
}
if ((cert === undefined) !== (key === undefined)) fail("--tls-cert and --tls-key go together");
if (cert !== undefined) options.tls = { cert: readFileSync(cert), key: readFileSync(key) };

let gateway;
try {
  gateway =
    command === "dashboard"
      ? await serveDashboard({ ...options, assets: fileURLToPath(new URL("../dist/dashboard/", import.meta.url)) })
      : await serveGateway(options);
} catch (err) {
  process.stderr.write(`berth-docker: ${err?.message ?? err}\n`);
  process.exit(1);
}
const mode = options.readOnly ? " (read-only)" : options.allow ? ` (${options.allow.length} operations allowed)` : "";
const what = command === "dashboard" ? "berth dashboard" : "berth gateway";
const how = command === "dashboard" ? "Open this URL once (it sets a cookie and shows the dashboard):" : "Open this URL once (it sets a cookie; scripts send Authorization: Bearer with the token in it):";
process.stdout.write(`${what}${mode} on ${gateway.origin}\n${how}\n\n    ${gateway.url}\n\n`);
let cleanup = () => {};
if (open) cleanup = openBrowser(gateway.url);
const stop = () => {
  cleanup();
  void gateway.close().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

/**
 * Opens the URL in the desktop's browser, when there is a desktop: macOS, Windows, or a Linux or
 * BSD session with a display. The token stays off command lines (which any local user can list):
 * the browser opens a file only this user can read, which leads on to the URL; the file is removed
 * a little later, or when the gateway stops.
 */
function openBrowser(url) {
  const opener =
    process.platform === "darwin" ? ["open"] : process.platform === "win32" ? ["cmd", "/c", "start", '""'] : process.env.DISPLAY || process.env.WAYLAND_DISPLAY ? ["xdg-open"] : undefined;
  if (!opener) return () => {};
  const dir = mkdtempSync(join(tmpdir(), "berth-dashboard-"));
  const file = join(dir, "open.html");
  const href = url.replace(/&/g, "&amp;").replace(/"/g, "&quot;");
  writeFileSync(file, `<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer"><meta http-equiv="refresh" content="0;url=${href}"><title>berth dashboard</title><a href="${href}">berth dashboard</a>\n`, { mode: 0o600 });
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const child = spawn(opener[0], [...opener.slice(1), file], { stdio: "ignore", detached: true });
  child.on("error", () => process.stdout.write("(no browser could be opened: open the URL above yourself)\n"));
  child.unref();
  setTimeout(remove, 60_000).unref();
  return remove;
}
