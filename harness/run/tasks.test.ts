import { describe, expect, it } from "vitest";
import { runTasks, type Task } from "./tasks.ts";

const log: string[] = [];
const task = (title: string, fail?: "run" | "teardown"): Task<unknown> => ({
  title,
  run: () => {
    log.push(`run ${title}`);
    if (fail === "run") throw new Error(`${title} failed`);
  },
  teardown: () => {
    log.push(`teardown ${title}`);
    if (fail === "teardown") throw new Error(`${title} teardown failed`);
  },
});

describe("runTasks", () => {
  it("tears down every started task in reverse order after success", async () => {
    log.length = 0;
    await runTasks([task("a"), task("b")], {});
    expect(log).toEqual(["run a", "run b", "teardown b", "teardown a"]);
  });

  it("tears down what started when a task throws, and rethrows that error, not a teardown's", async () => {
    log.length = 0;
    await expect(runTasks([task("a", "teardown"), task("b", "run"), task("c")], {})).rejects.toThrow("b failed");
    expect(log).toEqual(["run a", "run b", "teardown b", "teardown a"]);
  });

  it("stops before the next task on abort, still tearing down", async () => {
    log.length = 0;
    const abort = new AbortController();
    const stopper: Task<unknown> = { title: "stop", run: () => abort.abort(new Error("Ctrl-C")) };
    await expect(runTasks([task("a"), stopper, task("c")], {}, { signal: abort.signal })).rejects.toThrow("Ctrl-C");
    expect(log).toEqual(["run a", "teardown a"]);
  });
});
