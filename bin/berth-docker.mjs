#!/usr/bin/env node
// npx berth-docker serve [--port N] [--host ADDR] [--read-only] [--allow "METHOD /path"]... [--engine DOCKER_HOST] [--tls-cert FILE --tls-key FILE]
//
// Starts the gateway (docs/browser.md): the Engine API for pages and scripts, behind a per-run
// token. Prints the one-time URL once; the token appears nowhere else.
import { readFileSync } from "node:fs";
import { serveGateway } from "../dist/node.js";

const USAGE = `usage: berth-docker serve [--port N] [--host ADDR] [--read-only] [--allow "METHOD /path"]...
                          [--engine DOCKER_HOST] [--origin ORIGIN]... [--tls-cert FILE --tls-key FILE]

  --port N          the port (default: a free one)
  --host ADDR       the address to listen on (default 127.0.0.1; another one reaches the network: use TLS)
  --read-only       GET and HEAD only; no attach, no exec
  --allow OP        let through only these operations, e.g. --allow "GET /containers/json" --allow "POST /containers/{id}/start"
  --engine HOST     the engine (default DOCKER_HOST, else unix:///var/run/docker.sock): unix:// or tcp://
  --origin ORIGIN   another page origin that may use the gateway (CORS with credentials)
  --tls-cert FILE, --tls-key FILE   serve HTTPS`;

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
if (command !== "serve") fail(command === undefined ? "a command is needed" : `unknown command "${command}"`);

const options = { allow: undefined, origins: [] };
let cert, key;
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
  else if (arg === "--help" || arg === "-h") {
    process.stdout.write(USAGE + "\n");
    process.exit(0);
  } else fail(`unknown option "${arg}"`);
}
if ((cert === undefined) !== (key === undefined)) fail("--tls-cert and --tls-key go together");
if (cert !== undefined) options.tls = { cert: readFileSync(cert), key: readFileSync(key) };

let gateway;
try {
  gateway = await serveGateway(options);
} catch (err) {
  process.stderr.write(`berth-docker: ${err?.message ?? err}\n`);
  process.exit(1);
}
const mode = options.readOnly ? " (read-only)" : options.allow ? ` (${options.allow.length} operations allowed)` : "";
process.stdout.write(`berth gateway${mode} on ${gateway.origin}\nOpen this URL once (it sets a cookie; scripts send Authorization: Bearer with the token in it):\n\n    ${gateway.url}\n\n`);
const stop = () => void gateway.close().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
