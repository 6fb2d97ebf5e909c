import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { Wait } from "testcontainers";
import { describe, expect, it } from "vitest";
import { ensureImages } from "../harness/env/images.ts";
import { runLabels } from "../harness/env/labels.ts";
import { readAppLedger } from "../harness/records/server-logs.ts";
import { LoopbackContainer } from "../harness/stack/loopback-container.ts";
import { PROJECT_ROOT } from "../harness/util/project-root.ts";

// The app ledger for a user's own app: fixtures/ledger/ on PYTHONPATH, and
// nothing else changed. The app below has no middleware and knows nothing of
// drainlab; every request must still be in the ledger, under gunicorn's
// UvicornWorker and under `uvicorn --workers` alike, with one ledger-active
// line per worker. Switched off, the ledger has no ledger-active line at all,
// which is how a run tells "no evidence" from a quiet ledger.
const USER_APP = `from fastapi import FastAPI
app = FastAPI()

@app.get("/hello")
async def hello():
    return {"hello": "world"}
`;

const COMMANDS = {
  gunicorn: ["gunicorn", "-k", "uvicorn.workers.UvicornWorker", "-w", "2", "-b", "0.0.0.0:9000", "--chdir", "/user", "app:app"],
  uvicorn: ["python3", "-m", "uvicorn", "--app-dir", "/user", "--host", "0.0.0.0", "--port", "9000", "--workers", "2", "app:app"],
};

async function serveUserApp(runtime: keyof typeof COMMANDS, env: Record<string, string> = {}) {
  const images = await ensureImages(new Docker());
  const logDir = mkdtempSync(join(tmpdir(), "drainlab-ledger-module-"));
  mkdirSync(logDir, { recursive: true });
  const container = await new LoopbackContainer(images.app)
    .withLabels(runLabels(`ledger-module-${process.pid}`, runtime))
    .withCopyContentToContainer([{ content: USER_APP, target: "/user/app.py" }])
    .withBindMounts([
      { source: join(PROJECT_ROOT, "fixtures/ledger"), target: "/drainlab-ledger", mode: "ro" },
      { source: logDir, target: "/var/log/drainlab" },
    ])
    .withEnvironment({ PYTHONPATH: "/drainlab-ledger", DRAINLAB_NODE: "user-1", ...env })
    .withCommand(COMMANDS[runtime])
    .withExposedPorts(9000)
    // both workers up, not only the first to answer: on a slow machine the second can still be loading the app
    // when the 20 requests are done (CI failed with 1 ledger-active line of 2)
    .withWaitStrategy(Wait.forAll([Wait.forHttp("/hello", 9000), Wait.forLogMessage(/Application startup complete/, 2)]))
    .start();
  const base = `http://127.0.0.1:${container.getMappedPort(9000)}`;
  const answers = [];
  for (let i = 0; i < 20; i++) {
    const res = await fetch(`${base}/hello`, { headers: { "X-Request-Id": `r-${i}` } });
    answers.push({ status: res.status, node: res.headers.get("x-node") });
    await res.arrayBuffer();
  }
  await container.stop({ timeout: 5 });
  return { answers, ledger: readAppLedger(join(logDir, "app-ledger.jsonl")) };
}

describe("the app ledger module on an app that knows nothing of drainlab", () => {
  for (const runtime of ["gunicorn", "uvicorn"] as const) {
    it(`records every request under ${runtime}, with one ledger-active line per worker`, async () => {
      const { answers, ledger } = await serveUserApp(runtime);
      expect(answers.every((a) => a.status === 200 && a.node === "user-1")).toBe(true);
      expect(ledger.unreadable).toBe(0);
      const active = ledger.rows.filter((e) => (e.event as string) === "ledger-active");
      expect(new Set(active.map((e) => e.pid)).size).toBe(2);
      for (let i = 0; i < 20; i++) {
        const mine = ledger.rows.filter((e) => e.id === `r-${i}`);
        expect(mine.map((e) => e.event)).toEqual(["start", "finish"]);
        expect(mine[1]!.status).toBe(200);
      }
    });
  }

  it("switched off, writes nothing: no ledger-active line, so a run says no evidence", async () => {
    const { answers, ledger } = await serveUserApp("gunicorn", { DRAINLAB_LEDGER_DISABLE: "1" });
    expect(answers.every((a) => a.status === 200 && a.node === null)).toBe(true);
    expect(ledger.rows).toEqual([]);
  });
});
