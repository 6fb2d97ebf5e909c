import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openRequests, waitForAppsIdle } from "./apps-idle.ts";

const line = (event: string, id: string, pid = 7) => JSON.stringify({ t: 1, event, id, node: "node-1", pid });

function ledger(lines: string[]): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), "drainlab-idle-"));
  mkdirSync(join(dir, "raw", "node-1"), { recursive: true });
  const path = join(dir, "raw", "node-1", "app-ledger.jsonl");
  writeFileSync(path, `${lines.join("\n")}\n`);
  return { dir, path };
}

describe("apps idle after the load", () => {
  it("counts what an app started and neither finished nor cancelled", () => {
    const { path } = ledger([
      line("start", "a"),
      line("finish", "a"),
      line("start", "b"),
      line("start", "c"),
      line("cancel", "c"),
      line("start", "d", 8),
    ]);
    expect(openRequests(path)).toBe(2);
  });

  it("waits until the app finished what nginx gave up on, at most the bound", async () => {
    const { dir, path } = ledger([line("start", "a")]);
    setTimeout(() => writeFileSync(path, `${line("start", "a")}\n${line("finish", "a")}\n`), 300);
    const idle = await waitForAppsIdle(dir, ["node-1"], 5000);
    expect(idle.open).toBe(0);
    expect(idle.waitedMs).toBeGreaterThanOrEqual(200);
    const stuck = ledger([line("start", "z")]);
    expect(await waitForAppsIdle(stuck.dir, ["node-1"], 300)).toMatchObject({ open: 1 });
  });
});
