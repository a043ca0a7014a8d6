import { describe, expect, it } from "vitest";
import { encodePathParam, serializeFilters, serializeQuery } from "../../src/request/encode.ts";
import { fillPath } from "../../src/request/encode.ts";
import { DockerNotFoundError } from "../../src/errors/errors.ts";

describe("path parameters", () => {
  it("percent-encodes every reserved character, so a name stays one segment", () => {
    expect(fillPath("/containers/{id}/json", { id: "a b" })).toBe("/containers/a%20b/json");
    expect(fillPath("/containers/{id}/json", { id: "x/../../images/json" })).toBe("/containers/x%2F..%2F..%2Fimages%2Fjson/json");
    expect(fillPath("/containers/{id}/json", { id: "a?b#c%d" })).toBe("/containers/a%3Fb%23c%25d/json");
    expect(fillPath("/images/{name}/json", { name: "localhost:5000/x/y:tag" })).toBe("/images/localhost%3A5000%2Fx%2Fy%3Atag/json");
    expect(fillPath("/containers/{id}/json", { id: "ünï" })).toBe("/containers/%C3%BCn%C3%AF/json");
  });

  it("refuses dot segments, which URL parsers resolve away even when percent-encoded", () => {
    expect(new URL("http://docker/containers/%2E%2E/json").pathname).toBe("/json"); // why
    expect(encodePathParam("..")).toBeUndefined();
    expect(encodePathParam(".")).toBeUndefined();
    expect(encodePathParam("...")).toBe("...");
    expect(() => fillPath("/containers/{id}/json", { id: ".." })).toThrow(DockerNotFoundError);
    expect(() => fillPath("/containers/{id}/json", { id: "." })).toThrow(/no such object/);
  });

  it("refuses a missing parameter instead of sending a broken path", () => {
    expect(() => fillPath("/containers/{id}/json", {})).toThrow(/Missing path parameter "id"/);
    expect(() => fillPath("/containers/{id}/json", { id: "" })).toThrow(/Missing path parameter/);
  });
});

describe("query serialisation", () => {
  it("omits undefined and null, encodes booleans as 1/0 and numbers as text", () => {
    expect(serializeQuery({ all: true, size: false, limit: 5, since: undefined, x: null })).toBe("?all=1&size=0&limit=5");
    expect(serializeQuery({})).toBe("");
    expect(serializeQuery(undefined)).toBe("");
  });

  it("encodes filters as a JSON map of string arrays", () => {
    const q = serializeQuery({ filters: { label: "a=b", status: ["running", "paused"], dangling: true, empty: [] } });
    expect(decodeURIComponent(q)).toBe('?filters={"label":["a=b"],"status":["running","paused"],"dangling":["true"]}');
  });

  it("keeps the engine's older map form of filters", () => {
    expect(serializeFilters({ label: { "a=b": true } })).toBe('{"label":{"a=b":true}}');
  });

  it("drops empty filters entirely", () => {
    expect(serializeQuery({ filters: {} })).toBe("");
    expect(serializeQuery({ filters: { label: undefined } })).toBe("");
  });

  it("JSON-encodes other objects and repeats keys for arrays", () => {
    expect(decodeURIComponent(serializeQuery({ buildargs: { A: "1" } }))).toBe('?buildargs={"A":"1"}');
    expect(serializeQuery({ type: ["image", "volume"] })).toBe("?type=image&type=volume");
  });

  it("sends dates as seconds.nanoseconds, keeping the milliseconds", () => {
    expect(serializeQuery({ since: new Date(1_700_000_000_500) })).toBe("?since=1700000000.500000000");
    expect(serializeQuery({ until: new Date(1_700_000_000_007) })).toBe("?until=1700000000.007000000");
    expect(serializeQuery({ since: new Date(-1_500) })).toBe("?since=-2.500000000");
    expect(() => serializeQuery({ since: new Date(NaN) })).toThrow(/invalid Date/);
  });

  it("escapes keys and values", () => {
    expect(serializeQuery({ "a&b": "c=d&e" })).toBe("?a%26b=c%3Dd%26e");
  });
});
