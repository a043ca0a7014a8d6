// The part of bun:test the Bun runner uses, so `tsc` checks test/runtimes/bun.test.ts without
// Bun's type package.
declare module "bun:test" {
  export function test(name: string, fn: () => Promise<void> | void, timeout?: number): void;
  export function afterAll(fn: () => Promise<void> | void, timeout?: number): void;
}
