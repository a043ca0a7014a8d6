// An unhandled promise rejection anywhere in the suite must fail the run. Runs vitest itself on the
// fixtures in test/fixtures/unhandled, with and without the suite's setup file, and checks the exit
// status and what is reported.
import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "../..");
const FIXTURES = join(ROOT, "test/fixtures/unhandled");

function vitest(fixture: string, withSetup = true): Promise<{ code: number; output: string }> {
  const args = ["vitest", "run", "--root", FIXTURES, "--config", "vitest.config.ts", "--reporter", "default", "--color=false"];
  const env = { ...process.env, BERTH_FIXTURE: fixture, BERTH_FIXTURE_SETUP: withSetup ? "1" : "0", NO_COLOR: "1", FORCE_COLOR: "0" };
  return new Promise((resolve) => {
    execFile("npx", args, { cwd: ROOT, env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, output: `${stdout}\n${stderr}` });
    });
  });
}

describe("unhandled promise rejections fail the run", () => {
  it("one during a test fails that test, and the run", async () => {
    const { code, output } = await vitest("during.fixture.ts");
    expect(code).not.toBe(0);
    expect(output).toMatch(/1 unhandled promise rejection\(s\) during this test: Error: rejected during the test/);
    expect(output).toMatch(/Tests\s+1 failed/);
  }, 60_000);

  it("one after the file's last test fails the file", async () => {
    const { code, output } = await vitest("late.fixture.ts");
    expect(code).not.toBe(0);
    // Caught after the last test; or, on a loaded machine where the timer fires before the test's
    // own check, pinned on the test itself. Either way the run fails and says why.
    expect(output).toMatch(/unhandled promise rejection\(s\) (after this file's last test|during this test): Error: rejected after the last test/);
    expect(output).toMatch(/Failed Suites 1|Tests\s+1 failed/);
  }, 60_000);

  it("vitest alone already fails the run for one during a test (the setup file adds the rest)", async () => {
    const { code, output } = await vitest("during.fixture.ts", false);
    expect(code).not.toBe(0);
    expect(output).toMatch(/Unhandled Rejection/);
    // ...while the test itself passes: the setup file is what pins the failure on it.
    expect(output).toMatch(/Tests\s+1 passed/);
  }, 60_000);

  it("handled rejections fail nothing", async () => {
    const { code, output } = await vitest("clean.fixture.ts");
    expect(output).toMatch(/Tests\s+1 passed/);
    expect(code).toBe(0);
  }, 60_000);
});
