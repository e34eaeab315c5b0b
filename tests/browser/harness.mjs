// The browser harness: starts a real minzheng server on a free port over a fresh SQLite database with
// the demo data, and opens headless Chromium from Debian's package on it. Journeys import this.
import { chromium } from "playwright-core";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, "../..");
export const shotsDir = join(repoRoot, "target", "browser-shots");

/** Screen sizes every journey is walked on: a 375-px phone and a 1280-px desktop. */
export const SCREENS = [
  { name: "phone", width: 375, height: 812 },
  { name: "desktop", width: 1280, height: 800 },
];

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on("error", fail);
  });
}

async function waitReady(base, child) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`minzheng exited with ${child.exitCode}`);
    try {
      const r = await fetch(`${base}/readyz`);
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("minzheng did not become ready in 30 s");
}

/** Starts `minzheng serve --demo` in a temporary folder; returns { base, stop }. */
export async function startServer() {
  const bin = process.env.MINZHENG_BIN || join(repoRoot, "target", "debug", "minzheng");
  const dir = mkdtempSync(join(tmpdir(), "mz-browser-"));
  const port = await freePort();
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("MINZHENG_") && !k.startsWith("MINZHENG_TEST_")) delete env[k];
  const child = spawn(bin, ["serve", "--demo", "--listen", `127.0.0.1:${port}`], { cwd: dir, env, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr.on("data", (d) => (log += d));
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitReady(base, child);
  } catch (e) {
    child.kill("SIGKILL");
    throw new Error(`${e.message}\n${log}`);
  }
  return {
    base,
    async stop() {
      const exited = new Promise((r) => child.on("exit", r));
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Launches Debian's Chromium headless, with the flags this closed network needs. */
export async function launchBrowser() {
  mkdirSync(shotsDir, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
