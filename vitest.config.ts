import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

const alias = { "berth-docker": fileURLToPath(new URL("./adapters/node.ts", import.meta.url)) };
// Fails the test during which (or the file after which) a promise rejection went unhandled.
const unhandled = "test/setup/unhandled-rejections.ts";

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: { name: "unit", include: ["test/unit/**/*.test.ts"], testTimeout: 20_000, setupFiles: [unhandled] },
      },
      {
        resolve: { alias },
        test: {
          name: "engine",
          include: ["test/engine/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          globalSetup: ["test/engine/global-setup.ts"],
          setupFiles: [unhandled],
        },
      },
      {
        resolve: { alias },
        test: {
          // Real Chromium (scripts/chromium.sh) against the real engine over TCP.
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          globalSetup: ["test/engine/global-setup.ts"],
        },
      },
    ],
  },
});
