#!/usr/bin/env node
// Generates src/generated/{types,operations,versions}.ts and src/generated/endpoints/<family>.ts
// from the Docker Engine API spec.
//
// The spec files are Swagger 2.0 and live outside the repository (../shared/docker-api beside the
// checkout, or $BERTH_SPEC_DIR); only the generated TypeScript is committed, so the output must be
// deterministic: same spec in, same bytes out. test/unit/generated.test.ts holds us to that.
//
//   node scripts/generate-types.mjs               write into src/generated/
//   node scripts/generate-types.mjs --out <dir>   write elsewhere (used to check freshness)

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parse } from "yaml";

const NEWEST = "v1.55";
const OLDEST = "v1.41";
const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch"];

/** Response media types that mean "read this body as a stream, not as one JSON document". */
const STREAM_MEDIA_TYPES = new Set([
  "application/vnd.docker.raw-stream",
  "application/vnd.docker.multiplexed-stream",
  "application/x-tar",
  "application/octet-stream",
  "application/jsonl",
  "application/x-ndjson",
  "application/json-seq",
]);

/**
 * Operations the spec declares as plain `application/json` (or as 204) although the engine answers
 * with a stream of JSON progress/stat messages, one per line, until the work is done. The value
 * names the definition each message follows, when the spec has one.
 */
const JSON_PROGRESS_STREAMS = new Map([
  ["ImageBuild", "BuildInfo"],
  ["ImageCreate", "CreateImageInfo"],
  ["ImagePush", "PushImageInfo"],
  ["ImageLoad", null],
  ["ContainerStats", null],
  ["PluginPull", null],
  ["PluginUpgrade", null],
  ["PluginPush", null],
]);

/**
 * A few array items carry only a Go type hint that is local to the Go package of the definition
 * holding it (`image.Summary`), which the spec cannot resolve by name; this says which definition
 * each one means. A hint that names a definition outright needs no entry.
 */
const GO_TYPE_HINTS = {
  ImagesDiskUsage: { Summary: "ImageSummary" },
  ContainersDiskUsage: { Summary: "ContainerSummary" },
  BuildCacheDiskUsage: { CacheRecord: "BuildCache" },
};

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function defaultSpecDir() {
  if (process.env.BERTH_SPEC_DIR) return resolve(process.env.BERTH_SPEC_DIR);
  return fileURLToPath(new URL("../../shared/docker-api/", import.meta.url));
}

export function loadSpec(specDir, version) {
  return parse(readFileSync(join(specDir, `${version}.yaml`), "utf8"));
}

/** Every operation of a spec, in spec order, with path-level parameters merged in. */
export function listOperations(spec) {
  const result = [];
  for (const [path, item] of Object.entries(spec.paths ?? {})) {
    const shared = item.parameters ?? [];
    for (const method of Object.keys(item)) {
      if (!HTTP_METHODS.includes(method)) continue;
      const op = item[method];
      const own = op.parameters ?? [];
      const params = [...shared.filter((p) => !own.some((o) => o.name === p.name && o.in === p.in)), ...own];
      result.push({ key: `${method.toUpperCase()} ${path}`, method: method.toUpperCase(), path, op, params });
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Small text helpers

const typeName = (name) => {
  const cleaned = String(name).replace(/[^A-Za-z0-9_$]/g, "");
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
};

const propertyKey = (name) => (IDENTIFIER.test(name) ? name : JSON.stringify(name));

const literal = (value) => JSON.stringify(value);

/** True when `t` has a top-level `|` or `&`, so it needs parentheses before `[]` or another `|`. */
function isCompound(t) {
  let depth = 0;
  let quote = null;
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if ("{(<[".includes(c)) depth++;
    else if ("})>]".includes(c)) depth--;
    else if (depth === 0 && (c === "|" || c === "&")) return true;
  }
  return false;
}

const paren = (t) => (isCompound(t) ? `(${t})` : t);

const isDeprecated = (description) =>
  /(^|\n)\s*(>\s*)?(\*\*)?deprecated(\*\*)?\s*:/i.test(description ?? "");

/**
 * A JSDoc block from a spec description: the first paragraph only, reflowed and cut to three
 * lines, because the full descriptions (markdown tables, examples) drown the type in an editor.
 */
function jsdoc(description, indent, extra = []) {
  const lines = [];
  const text = String(description ?? "").trim();
  if (text) {
    const firstParagraph = text.split(/\n\s*\n/)[0];
    // Markdown list items keep a line each; other line breaks are just the spec's wrapping.
    const logicalLines = [];
    for (const raw of firstParagraph.split("\n")) {
      const line = raw.replace(/^\s*>\s?/, "").trim();
      if (logicalLines.length === 0 || /^[-*] /.test(line)) logicalLines.push(line);
      else logicalLines[logicalLines.length - 1] += ` ${line}`;
    }
    const width = Math.max(40, 100 - indent.length - 3);
    for (const logical of logicalLines) {
      let current = "";
      for (const word of logical.replace(/\*\//g, "*\\/").split(/\s+/).filter(Boolean)) {
        if (current && current.length + 1 + word.length > width) {
          lines.push(current);
          current = word;
        } else current = current ? `${current} ${word}` : word;
      }
      if (current) lines.push(current);
    }
    if (lines.length > 3) {
      lines.length = 3;
      lines[2] += " …";
    }
  }
  if (isDeprecated(description) && !extra.includes("@deprecated")) extra = [...extra, "@deprecated"];
  lines.push(...extra.map((e) => e.replace(/\*\//g, "*\\/")));
  if (lines.length === 0) return "";
  if (lines.length === 1) return `${indent}/** ${lines[0]} */\n`;
  return `${indent}/**\n${lines.map((l) => `${indent} * ${l}`).join("\n")}\n${indent} */\n`;
}

// ---------------------------------------------------------------------------------------------
// Schema → TypeScript

function createSchemaPrinter(definitions) {
  let scope = ""; // the definition being printed, for GO_TYPE_HINTS
  const refName = (ref) => {
    const match = /^#\/definitions\/(.+)$/.exec(ref);
    if (!match) throw new Error(`unsupported $ref ${ref}`);
    if (!(match[1] in definitions)) throw new Error(`dangling $ref ${ref}`);
    return typeName(match[1]);
  };

  const isPrimitiveEnum = (values) =>
    Array.isArray(values) && values.length > 0 && values.every((v) => ["string", "number", "boolean"].includes(typeof v));

  function objectType(schema, indent) {
    const props = schema.properties ?? {};
    const required = new Set(schema.required ?? []);
    const inner = `${indent}  `;
    let body = "";
    for (const [name, prop] of Object.entries(props)) {
      body += jsdoc(prop?.description, inner);
      body += `${inner}${propertyKey(name)}${required.has(name) ? "" : "?"}: ${type(prop, inner)};\n`;
    }
    return `{\n${body}${indent}}`;
  }

  function additionalType(ap, indent) {
    if (ap === true || (typeof ap === "object" && Object.keys(ap).length === 0)) return "unknown";
    return type(ap, indent);
  }

  function bareType(schema, indent) {
    if (!schema || typeof schema !== "object") return "unknown";
    if (schema.$ref) return refName(schema.$ref);
    if (Array.isArray(schema.allOf)) {
      // Members of an allOf are merged, never null, whatever the member definition says.
      // A member that only carries an example (`type: object`, nothing else) adds no field.
      const adds = (s) => !(s && s.type === "object" && !s.$ref && !s.allOf && !s.properties && s.additionalProperties === undefined);
      const parts = schema.allOf.filter(adds).map((s) => paren(bareType(s, indent)));
      if (schema.properties) parts.push(objectType(schema, indent));
      return parts.join(" & ");
    }
    if (isPrimitiveEnum(schema.enum)) {
      const values = schema.type === "string" ? schema.enum.map(String) : schema.enum;
      return [...new Set(values)].map(literal).join(" | ");
    }
    switch (schema.type) {
      case "string":
        return "string";
      case "integer":
      case "number":
        return "number";
      case "boolean":
        return "boolean";
      case "file":
        return "unknown";
      case "array":
        return `${paren(type(schema.items, indent))}[]`;
    }
    const hasProps = schema.properties && Object.keys(schema.properties).length > 0;
    const ap = schema.additionalProperties;
    const hasAp = ap !== undefined && ap !== false;
    if (hasProps && hasAp) return `${objectType(schema, indent)} & Record<string, ${additionalType(ap, indent)}>`;
    if (hasProps) return objectType(schema, indent);
    if (hasAp) return `Record<string, ${additionalType(ap, indent)}>`;
    if (schema.type === "object") {
      // `enum: [{}]` is how the spec says "the value is always an empty object" (ExposedPorts).
      if (Array.isArray(schema.enum) && schema.enum.every((v) => v && typeof v === "object" && !Object.keys(v).length))
        return "Record<string, never>";
      return "Record<string, unknown>";
    }
    // Some schemas carry only a Go type hint; use it when it leads to one of our definitions.
    const goType = schema["x-go-type"]?.type;
    const hinted = GO_TYPE_HINTS[scope]?.[goType] ?? goType;
    if (hinted && hinted in definitions) return typeName(hinted);
    return "unknown";
  }

  /**
   * `x-nullable` on a definition applies where it is referenced, not to the declared type, so
   * `ContainerState` stays an object and `State?: ContainerState | null` says when it may be null.
   */
  function isNullable(schema) {
    if (!schema || schema["x-nullable"] === false) return false;
    if (schema["x-nullable"] === true) return true;
    if (!schema.$ref) return false;
    const target = definitions[schema.$ref.replace(/^#\/definitions\//, "")];
    return target?.["x-nullable"] === true;
  }

  function type(schema, indent = "") {
    const t = bareType(schema, indent);
    if (isNullable(schema) && t !== "unknown") return `${paren(t)} | null`;
    return t;
  }

  /** A definition's own type: like `type`, minus its own `x-nullable` (see isNullable). */
  const declaredType = (schema) => bareType(schema, "");

  /** True when a definition reads best as an `interface` (a plain object with named properties). */
  const isInterface = (schema) =>
    schema &&
    !schema.$ref &&
    !schema.allOf &&
    !isPrimitiveEnum(schema.enum) &&
    (schema.type === "object" || schema.type === undefined) &&
    schema.properties &&
    Object.keys(schema.properties).length > 0 &&
    (schema.additionalProperties === undefined || schema.additionalProperties === false);

  const setScope = (definitionName) => {
    scope = definitionName;
  };

  return { type, declaredType, objectType, isInterface, refName, setScope };
}

// ---------------------------------------------------------------------------------------------
// Operation analysis shared by the three outputs

const successResponses = (op) =>
  Object.entries(op.responses ?? {}).filter(([code]) => /^2\d\d$/.test(code));

const isBinarySchema = (schema) => schema && (schema.format === "binary" || schema.type === "file");

/** See the comment in operations.ts (written below) for the rule in words. */
function isStreaming({ op }) {
  if ((op.produces ?? []).some((m) => STREAM_MEDIA_TYPES.has(m))) return true;
  if (JSON_PROGRESS_STREAMS.has(op.operationId)) return true;
  // 101 Switching Protocols: the connection is hijacked (attach over websocket, session).
  if (op.responses && "101" in op.responses) return true;
  return successResponses(op).some(([, r]) => isBinarySchema(r.schema));
}

function isBinaryBody(op, schema) {
  if (isBinarySchema(schema)) return true;
  const consumes = op.consumes ?? [];
  const rawConsumes = consumes.some((m) => m === "application/octet-stream" || m === "application/x-tar");
  return schema?.type === "string" && rawConsumes;
}

const isJsonEncodedQuery = (param) =>
  param.format === "json" || /\bJSON\b/i.test(param.description ?? "");

const VERSION_NOTE = /\badded in (?:API )?v?(1\.\d+)/i;

const compareVersions = (a, b) => {
  const [a1, a2] = a.split(".").map(Number);
  const [b1, b2] = b.split(".").map(Number);
  return a1 - b1 || a2 - b2;
};

/**
 * First versions the spec's descriptions do not state, from the Engine API version history
 * (moby's api/docs/CHANGELOG.md), keyed `"METHOD /path"` or `"METHOD /path?param"`. Without
 * them every such addition would read "oldest + 1" (1.42), and an API 1.42 engine (Docker 23)
 * would be sent operations and parameters it does not have: it answers "page not found" for an
 * operation and silently ignores a parameter.
 */
const FIRST_VERSIONS = {
  "GET /images/{name}/attestations": "1.55",
  "GET /images/json?manifests": "1.47",
  "GET /images/json?identity": "1.54",
  "POST /build/prune?reserved-space": "1.48",
  "POST /build/prune?max-used-space": "1.48",
  "POST /build/prune?min-free-space": "1.48",
  "GET /images/{name}/json?manifests": "1.48",
  "GET /images/{name}/json?platform": "1.49",
  "GET /images/{name}/history?platform": "1.48",
  "POST /images/{name}/push?platform": "1.46",
  "DELETE /images/{name}?platforms": "1.50",
  "GET /system/df?verbose": "1.52",
  "GET /images/{name}/get?platform": "1.48",
  "GET /images/get?platform": "1.48",
  "POST /images/load?platform": "1.48",
};

/**
 * The first version that has something absent from `oldVersion`: a stated "Added in", else the
 * version history's (FIRST_VERSIONS), else the next one.
 */
function minVersion(description, oldVersion, key) {
  const [major, minor] = oldVersion.split(".").map(Number);
  const next = `${major}.${minor + 1}`;
  const stated = VERSION_NOTE.exec(description ?? "")?.[1] ?? FIRST_VERSIONS[key];
  return stated && compareVersions(stated, next) > 0 ? stated : next;
}

// ---------------------------------------------------------------------------------------------
// Outputs

function header(spec) {
  return `// generated by scripts/generate-types.mjs from the Docker Engine API spec v${spec.info.version} — do not edit\n`;
}

function generateTypes(spec, facts = new Map()) {
  const definitions = spec.definitions ?? {};
  const printer = createSchemaPrinter(definitions);
  const operations = listOperations(spec);
  const declared = new Map(); // name → the schema it stands for, to catch clashes between outputs
  let out = header(spec);
  out += "// Types only: this module has no runtime code and is erased from every bundle.\n\n";

  const declare = (name, what) => {
    if (declared.has(name)) throw new Error(`generated name ${name} is declared twice (${declared.get(name)}, ${what})`);
    declared.set(name, what);
  };

  out += jsdoc(
    "Filters for list, prune and event operations, keyed by filter name. The client sends them JSON-encoded in the `filters` query parameter.",
    "",
  );
  out += "export type Filters = Record<string, string | number | boolean | Array<string | number | boolean> | Record<string, boolean>>;\n\n";
  declare("Filters", "the Filters helper");

  out += "// ----- definitions -----\n\n";
  for (const [rawName, schema] of Object.entries(definitions)) {
    const name = typeName(rawName);
    declare(name, `definition ${rawName}`);
    printer.setScope(rawName);
    out += jsdoc(schema.description, "");
    if (printer.isInterface(schema)) {
      out += `export interface ${name} ${printer.objectType(schema, "")}\n\n`;
    } else {
      out += `export type ${name} = ${printer.declaredType(schema)};\n\n`;
    }
  }

  printer.setScope("");
  out += "// ----- operations -----\n\n";
  const entries = [];
  for (const entry of operations) {
    const { op, params, key, method } = entry;
    const id = typeName(op.operationId);
    const where = `\`${key}\` (${op.operationId})`;

    const paramInterface = (suffix, list, label, docFor) => {
      const name = `${id}${suffix}`;
      declare(name, `${label} of ${op.operationId}`);
      let s = jsdoc(`${label} of ${where}.`, "");
      if (list.length === 0) return `${s}export interface ${name} {}\n\n`;
      s += `export interface ${name} {\n`;
      for (const p of list) {
        s += jsdoc(p.description, "  ", docFor(p));
        s += `  ${propertyKey(p.name)}${p.required || p.in === "path" ? "" : "?"}: ${paramType(p)};\n`;
      }
      return `${s}}\n\n`;
    };

    const paramType = (p) => {
      if (p.in === "query" && p.name === "filters") return "Filters";
      if (p.in === "path") return "string";
      return printer.type({ type: p.type, items: p.items, enum: p.enum, format: p.format }, "  ");
    };

    const queryNotes = (p) => {
      const notes = [];
      if (p.name !== "filters" && isJsonEncodedQuery(p)) notes.push("JSON-encoded: pass `JSON.stringify(value)`.");
      if (p.default !== undefined) notes.push(`@default ${literal(p.default)}`);
      return notes;
    };

    const pathParams = params.filter((p) => p.in === "path");
    const queryParams = params.filter((p) => p.in === "query");
    const headerParams = params.filter((p) => p.in === "header" && p.name.toLowerCase() !== "content-type");
    out += paramInterface("Path", pathParams, "Path parameters", () => []);
    out += paramInterface("Query", queryParams, "Query parameters", queryNotes);
    out += paramInterface("Headers", headerParams, "Request headers", () => []);

    const bodyParam = params.find((p) => p.in === "body");
    const bodyName = `${id}Body`;
    declare(bodyName, `body of ${op.operationId}`);
    const binaryBody = bodyParam !== undefined && isBinaryBody(op, bodyParam.schema);
    let bodyType = "never";
    if (bodyParam) bodyType = binaryBody ? "unknown" : printer.type(bodyParam.schema, "");
    const bodyDoc = bodyParam
      ? `Request body of ${where}${binaryBody ? ": raw bytes (a stream, Blob or Uint8Array)" : ""}.`
      : `${where} takes no request body.`;
    out += jsdoc(bodyDoc, "");
    out += `export type ${bodyName} = ${bodyType};\n\n`;

    const streaming = isStreaming(entry);
    const responseName = `${id}Response`;
    const withSchema = successResponses(op).filter(([, r]) => r.schema);
    const empty = successResponses(op).some(([, r]) => !r.schema);
    let responseType;
    if (method === "HEAD") responseType = "void";
    else if (withSchema.length > 0 && !withSchema.some(([, r]) => isBinarySchema(r.schema))) {
      responseType = [...new Set(withSchema.map(([, r]) => printer.type(r.schema, "")))].join(" | ");
      if (empty && !streaming) responseType = `${paren(responseType)} | void`;
    } else if (JSON_PROGRESS_STREAMS.get(op.operationId)) {
      responseType = typeName(JSON_PROGRESS_STREAMS.get(op.operationId));
    } else responseType = streaming ? "unknown" : "void";

    // `ContainerInspect` + `Response` is already the name of the definition the operation returns.
    const alreadyDefined =
      declared.has(responseName) && withSchema.length === 1 && responseType === responseName;
    if (!alreadyDefined) {
      declare(responseName, `response of ${op.operationId}`);
      let responseDoc = `Response of ${where}.`;
      if (streaming && responseType !== "unknown")
        responseDoc = `Response of ${where}: a stream; this is the type of each JSON message in it.`;
      else if (JSON_PROGRESS_STREAMS.has(op.operationId))
        responseDoc = `Response of ${where}: a stream of JSON messages, one per line.`;
      else if (streaming) responseDoc = `Response of ${where}: a stream, read it as bytes.`;
      out += jsdoc(responseDoc, "");
      out += `export type ${responseName} = ${responseType};\n\n`;
    }
    entries.push({ key, id, op });
    facts.set(op.operationId, { responseType, bodyParam, binaryBody });
  }

  out += jsdoc(
    'Every operation of the Engine API, keyed by `"METHOD /path/template"` exactly as in the spec.',
    "",
  );
  out += "export interface Operations {\n";
  for (const { key, id, op } of entries) {
    out += jsdoc(op.summary ?? op.description, "  ", isDeprecated(op.description) ? ["@deprecated"] : []);
    out += `  ${literal(key)}: {\n`;
    out += `    operationId: ${literal(op.operationId)};\n`;
    out += `    path: ${id}Path;\n`;
    out += `    query: ${id}Query;\n`;
    out += `    headers: ${id}Headers;\n`;
    out += `    body: ${id}Body;\n`;
    out += `    response: ${id}Response;\n`;
    out += "  };\n";
  }
  out += "}\n\n";
  out += "export type OperationKey = keyof Operations;\n";
  return out;
}

function generateOperationTable(spec) {
  let out = header(spec);
  out += `// The operation table, as data, for tooling and tests. The client itself does not import it:
// its types live in types.ts and cost nothing at runtime.
//
// \`stream\` is true when the response body must be read as a stream rather than one JSON value:
// - the operation produces a stream or binary media type:
//   ${[...STREAM_MEDIA_TYPES].join(",\n//   ")},
// - or its 2xx response schema is binary, or it answers 101 Switching Protocols (a hijacked connection),
// - or it is known to answer with JSON progress/stat messages although the spec says
//   application/json or 204: ${[...JSON_PROGRESS_STREAMS.keys()].join(", ")}.
//   (ContainerStats streams only while its \`stream\` query parameter is true, the default.)
//
// \`endpoint\` names the function of endpoints/<family>.ts that sends the operation; null for the
// streamed ones, which only hand-written methods send.

export const operations = [\n`;
  for (const entry of listOperations(spec)) {
    const { op, params, method, path } = entry;
    const query = params.filter((p) => p.in === "query").map((p) => literal(p.name));
    const fields = [
      `id: ${literal(op.operationId)}`,
      `method: ${literal(method)}`,
      `path: ${literal(path)}`,
      `tag: ${literal(op.tags?.[0] ?? "")}`,
      `query: [${query.join(", ")}]`,
      `stream: ${isStreaming(entry)}`,
      `endpoint: ${hasEndpoint(entry) ? literal(endpointName(op.operationId)) : "null"}`,
    ];
    out += `  { ${fields.join(", ")} },\n`;
  }
  out += "] as const;\n";
  return out;
}

/**
 * What \`spec\` has that \`oldSpec\` lacks, with the first version that has it: operations keyed
 * \`"METHOD /path"\`, and query parameters of operations both have, keyed by operation then name.
 */
function addedVersions(spec, oldSpec) {
  const oldVersion = String(oldSpec.info.version);
  const oldOperations = new Map(listOperations(oldSpec).map((e) => [e.key, e]));
  const operationMin = new Map();
  const queryMin = new Map();
  for (const entry of listOperations(spec)) {
    const old = oldOperations.get(entry.key);
    if (!old) {
      operationMin.set(entry.key, minVersion(entry.op.description, oldVersion, entry.key));
      continue;
    }
    const oldQuery = new Set(old.params.filter((p) => p.in === "query").map((p) => p.name));
    const added = entry.params
      .filter((p) => p.in === "query" && !oldQuery.has(p.name))
      .map((p) => [p.name, minVersion(p.description, oldVersion, `${entry.key}?${p.name}`)]);
    if (added.length > 0) queryMin.set(entry.key, new Map(added));
  }
  return { operationMin, queryMin };
}

function generateVersions(spec, oldSpec) {
  const oldVersion = String(oldSpec.info.version);
  const { operationMin, queryMin } = addedVersions(spec, oldSpec);
  let out = header(spec);
  out += `// What v${spec.info.version} has that v${oldVersion} lacks, so the client can refuse or drop it when the engine is
// older. Versions come from "Added in v1.xx" notes in the spec, else the Engine API version history,
// else v${oldVersion} + 1. Ships in the browser bundle: keep it data only.

/** Operations absent from API v${oldVersion}, keyed by \`"METHOD /path"\`, with the first API version that has them. */
export const operationMinVersion: Record<string, string> = {\n`;
  for (const [key, version] of operationMin) out += `  ${literal(key)}: ${literal(version)},\n`;
  out += `};

/** Query parameters absent from API v${oldVersion} on operations both versions have, keyed like operationMinVersion. */
export const queryParamMinVersion: Record<string, Record<string, string>> = {\n`;
  for (const [key, added] of queryMin) {
    const inner = [...added].map(([name, version]) => `${propertyKey(name)}: ${literal(version)}`).join(", ");
    out += `  ${literal(key)}: { ${inner} },\n`;
  }
  out += "};\n";
  return out;
}


// ---------------------------------------------------------------------------------------------
// Endpoint functions: one per operation that answers with a value (or nothing), per family

/**
 * Option names that are not the camelCase of the engine's: where that would take the name of a
 * call option (`signal` is the AbortSignal, `timeout` the call's milliseconds). Keyed
 * `"OperationId?param"`.
 */
const OPTION_NAMES = {
  "ContainerStop?signal": "stopSignal",
  "ContainerRestart?signal": "stopSignal",
  "ContainerKill?signal": "unixSignal",
  "PluginEnable?timeout": "activateTimeout",
};

/** Names CallOptions (src/request/engine.ts) already gives a meaning. */
const CALL_OPTION_NAMES = new Set(["signal", "timeout", "deadline", "headers"]);

const camelCase = (name) => name.replace(/[-_]+([a-zA-Z0-9])/g, (_, c) => c.toUpperCase());
const lowerFirst = (name) => name[0].toLowerCase() + name.slice(1);

/** The public option name of a query parameter: the one rule, camelCase, and OPTION_NAMES. */
export function optionName(operationId, param) {
  const name = OPTION_NAMES[`${operationId}?${param}`] ?? camelCase(param);
  if (CALL_OPTION_NAMES.has(name)) throw new Error(`${operationId}: query parameter ${param} would be the call option ${name}: name it in OPTION_NAMES`);
  if (!IDENTIFIER.test(name)) throw new Error(`${operationId}: query parameter ${param} gives no identifier`);
  return name;
}

/** The endpoint function's name for an operation: `NodeDelete` → `nodeDelete`. */
export const endpointName = (operationId) => lowerFirst(typeName(operationId));

/** The file of an operation's family: its spec tag, `Container` → `container.ts`. */
const familyFile = (op) => `${(op.tags?.[0] ?? "other").toLowerCase()}.ts`;

/**
 * Which operations get an endpoint function: those that answer with one JSON value or nothing.
 * Streams, hijacked connections and downloads are read by hand-written methods (logs, attach,
 * exec start, pull, build, export, archives), which own what their stream needs.
 */
const hasEndpoint = (entry) => !isStreaming(entry);

function generateEndpoints(spec, oldSpec, facts) {
  const printer = createSchemaPrinter(spec.definitions ?? {});
  const { operationMin, queryMin } = addedVersions(spec, oldSpec);
  const families = new Map(); // file → { types: Set, body: string }
  for (const entry of listOperations(spec)) {
    if (!hasEndpoint(entry)) continue;
    const { op, params, key, method, path } = entry;
    const id = typeName(op.operationId);
    const fn = endpointName(op.operationId);
    const fact = facts.get(op.operationId);
    const file = familyFile(op);
    const family = families.get(file) ?? { types: new Set(), body: "" };
    families.set(file, family);

    const pathParams = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const name of pathParams) if (!IDENTIFIER.test(name)) throw new Error(`${op.operationId}: path parameter ${name} is no identifier`);
    const queryParams = params.filter((p) => p.in === "query");
    const addedQuery = queryMin.get(key) ?? new Map();
    const since = operationMin.get(key);

    let out = "";
    let optionsType = "CallOptions";
    if (queryParams.length > 0) {
      optionsType = `${id}Options`;
      out += jsdoc(`Options of \`${fn}\`: the query parameters of \`${key}\` in camelCase, and the call's.`, "");
      out += `export interface ${optionsType} extends CallOptions {\n`;
      for (const p of queryParams) {
        const notes = [];
        const name = optionName(op.operationId, p.name);
        if (name !== p.name) notes.push(`The engine's \`${p.name}\`.`);
        if (p.name !== "filters" && isJsonEncodedQuery(p)) notes.push("JSON-encoded: pass `JSON.stringify(value)`.");
        const added = addedQuery.get(p.name);
        if (added) notes.push(`API ${added}+.`);
        if (p.default !== undefined) notes.push(`@default ${literal(p.default)}`);
        const type = p.name === "filters" ? "Filters" : printer.type({ type: p.type, items: p.items, enum: p.enum, format: p.format }, "  ");
        if (type.includes("Filters")) family.types.add("Filters");
        out += jsdoc(p.description, "  ", notes);
        out += `  ${name}${p.required ? "" : "?"}: ${type};\n`;
      }
      out += "}\n\n";
    }

    const args = ["client: Requester", ...pathParams.map((n) => `${n}: string`)];
    // A required query parameter makes the options required, and then the body too (an optional
    // parameter cannot come before a required one).
    const optionsRequired = queryParams.some((p) => p.required);
    const bodyParam = fact.bodyParam;
    if (bodyParam) {
      args.push(`body${bodyParam.required || optionsRequired ? "" : "?"}: ${id}Body`);
      family.types.add(`${id}Body`);
    }
    args.push(optionsRequired ? `options: ${optionsType}` : `options?: ${optionsType}`);
    const responseType = `${id}Response`;
    family.types.add(responseType);
    const sends = fact.responseType === "void" ? "void" : `json<${responseType}>`;

    const doc = [`\`${key}\` (${op.operationId})${op.summary ? `: ${op.summary.replace(/\.$/, "")}` : ""}.`];
    if (since) doc.push(`API ${since}+: an older engine refuses it with DockerVersionError before anything is sent.`);
    const headers = params.filter((p) => p.in === "header" && p.name.toLowerCase() !== "content-type").map((p) => p.name);
    if (headers.length) doc.push(`Takes the ${headers.map((h) => `\`${h}\``).join(", ")} header in \`options.headers\`.`);
    out += jsdoc(doc.join(" "), "", isDeprecated(op.description) ? ["@deprecated"] : []);
    out += `export function ${fn}(${args.join(", ")}): Promise<${responseType}> {\n`;
    // sendOperation (src/request/operation.ts) takes the facts as arguments: a line per function.
    const send = [
      "client",
      String(fact.responseType !== "void"),
      literal(key),
      pathParams.length ? `{ ${pathParams.join(", ")} }` : "undefined",
      "options",
    ];
    if (queryParams.length > 0) {
      const names = queryParams.map((p) => {
        const name = optionName(op.operationId, p.name);
        return literal(name === p.name ? name : `${name}:${p.name}`);
      });
      send.push(`[${names.join(", ")}]`);
    } else if (bodyParam) send.push("undefined");
    if (bodyParam) {
      send.push("body");
      if (fact.binaryBody) send.push(literal((op.consumes ?? []).find((m) => m !== "application/json") ?? "application/octet-stream"));
    }
    out += `  return sendOperation<${responseType}>(${send.join(", ")});\n}\n\n`;
    family.body += out;
  }

  const files = {};
  for (const [file, { types, body }] of [...families].sort(([a], [b]) => a.localeCompare(b))) {
    let out = header(spec);
    out += `// The ${file.replace(/\.ts$/, "")} operations that answer with a value or nothing, one function each: the
// path, method, parameters and query names of the spec, option names in camelCase. Plain functions,
// so that a bundle keeps only those it calls. Each sends through a Requester: the full Client, or a
// berth-docker/lite connection; both check versions from versions.ts, by the operation sent.

import type { CallOptions } from "../../request/engine.ts";
import { sendOperation, type Requester } from "../../request/operation.ts";
import type { ${[...types].sort().join(", ")} } from "../types.ts";

`;
    files[`endpoints/${file}`] = out + body.replace(/\n+$/, "\n");
  }
  return files;
}

/** Which endpoint function serves which operation id: for scripts/api-coverage.ts. */
export function endpointFunctions(specDir = defaultSpecDir()) {
  const spec = loadSpec(specDir, NEWEST);
  return new Map(listOperations(spec).filter(hasEndpoint).map((e) => [endpointName(e.op.operationId), { id: e.op.operationId, file: familyFile(e.op) }]));
}

/** Generates the files as strings, keyed by file name (relative to src/generated/). */
export function generate(specDir = defaultSpecDir()) {
  const spec = loadSpec(specDir, NEWEST);
  const oldSpec = loadSpec(specDir, OLDEST);
  const facts = new Map();
  return {
    "types.ts": generateTypes(spec, facts),
    "operations.ts": generateOperationTable(spec),
    "versions.ts": generateVersions(spec, oldSpec),
    ...generateEndpoints(spec, oldSpec, facts),
  };
}

export function writeGenerated(outDir, files) {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(outDir, name)), { recursive: true });
    writeFileSync(join(outDir, name), text);
  }
}

function main(argv) {
  let outDir = fileURLToPath(new URL("../src/generated/", import.meta.url));
  const outFlag = argv.indexOf("--out");
  if (outFlag !== -1) {
    if (!argv[outFlag + 1]) throw new Error("--out needs a directory");
    outDir = resolve(argv[outFlag + 1]);
  }
  const files = generate();
  writeGenerated(outDir, files);
  for (const name of Object.keys(files)) console.log(`wrote ${join(outDir, name)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2));
}
