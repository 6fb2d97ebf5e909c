import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../harness/util/project-root.ts";
import { cli, copyExample, labelled, removeExampleCopies, TEST_REPORTS_DIR } from "./support.ts";

const EXAMPLE = join(PROJECT_ROOT, "examples", "uvicorn-workers");

// A user's stack that cannot run stops drainlab with one clear sentence and an
// exit code: 3 for what the machine or the images cannot do, 2 for a scenario
// that names what is not there. No stack trace, and nothing of the run is left.
afterAll(removeExampleCopies);

const SYSTEM = (app: string, nginx = "{ config: nginx.conf, upstream: api }") => `name: broken
system:
  app: ${app}
  nginx: ${nginx}
stack: { nodes: 2 }
load: { rate_per_s: 10, duration_s: 2, mix: [{ method: GET, path: /quote, expected_ms: 50 }] }
drain: { at_s: 1 }
`;

/** Every container the engine has, drainlab's or not. */
async function allContainers(): Promise<string[]> {
  return (await new Docker().listContainers({ all: true })).map((c) => c.Id).sort();
}

/** Runs drainlab on a scenario written into a copy of uvicorn-workers; returns the exit code and stderr. */
async function runBroken(scenario: string, files: Record<string, string> = {}): Promise<{ code: number; stderr: string }> {
  const dir = copyExample("uvicorn-workers");
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  writeFileSync(join(dir, "broken.yaml"), scenario);
  const before = await labelled();
  const containersBefore = await allContainers();
  const r = cli(["run", join(dir, "broken.yaml"), "--out", TEST_REPORTS_DIR]);
  expect(r.stderr, "no stack trace").not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
  expect(await labelled(), "nothing of the run is left").toEqual(before);
  // not even an unlabelled one, such as the container of a failed build step
  expect(await allContainers(), "no container left, labelled or not").toEqual(containersBefore);
  return { code: r.code, stderr: r.stderr };
}

describe("bring your own stack: what cannot run", () => {
  it("a Dockerfile that does not build: exit 3 with the end of the build log", async () => {
    // the example's own Dockerfile, with a step that fails
    const dockerfile = `${readFileSync(join(EXAMPLE, "Dockerfile"), "utf8").split("COPY")[0]}RUN echo 'resolving the wheel' && exit 7\n`;
    const r = await runBroken(SYSTEM("{ build: { context: ., dockerfile: Dockerfile.broken }, port: 8000, mark_draining: none }"), {
      "Dockerfile.broken": dockerfile,
    });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/system\.app\.build: docker build of .*Dockerfile\.broken failed \(exit \d+\); the end of its log:/);
    expect(r.stderr).toMatch(/exit code: 7|non-zero code: 7/);
  });

  it("a FROM image that is neither here nor pullable: exit 3 naming it, its line, and how to provide it", async () => {
    const r = await runBroken(SYSTEM("{ build: { context: ., dockerfile: Dockerfile.py }, port: 8000, mark_draining: none }"), {
      "Dockerfile.py": "# a base from a registry this machine cannot reach\nFROM python:3.13-slim\nCOPY app.py /app/app.py\n",
    });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/Dockerfile\.py line 2: FROM python:3\.13-slim is not in the Docker engine and could not be pulled/);
    expect(r.stderr).toContain("ARG BASE_IMAGE");
  });

  it("an image that is not there: exit 3 naming it", async () => {
    const r = await runBroken(SYSTEM("{ image: drainlab-test/no-such-app:1, port: 8000, mark_draining: none }"));
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/system\.app\.image: drainlab-test\/no-such-app:1 is not in the Docker engine and could not be pulled/);
  });

  it("an app that never becomes healthy: exit 3 with its last log lines", async () => {
    const app =
      "{ build: { context: ., dockerfile: Dockerfile }, port: 8000, health_path: /not-here, ready_timeout_s: 8, mark_draining: none }";
    const r = await runBroken(SYSTEM(app));
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/node-\d did not become healthy: \/not-here did not answer 200 within 8000 ms; its last log lines:/);
    // uvicorn's own access log: the health path it was asked for, answered 404
    expect(r.stderr).toMatch(/\| .*"GET \/not-here HTTP\/1\.1" 404/);
  });

  it("an nginx.conf without the named upstream: exit 2 naming the file and the upstream", async () => {
    const r = await runBroken(
      SYSTEM(
        "{ build: { context: ., dockerfile: Dockerfile }, port: 8000, mark_draining: none }",
        "{ config: nginx.conf, upstream: backend }",
      ),
    );
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/system\.nginx\.config: .*nginx\.conf.*upstream "?backend"?/);
  });
});
