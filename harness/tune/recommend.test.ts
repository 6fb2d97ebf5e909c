import { describe, expect, it } from "vitest";
import { recommend } from "./recommend.ts";

describe("recommend", () => {
  it("puts the uvicorn limit max(1 s, 25%) above the smallest passing value, gunicorn 1 s above it, the stop wait 2 s above gunicorn", () => {
    const r = recommend("stack.uvicorn.timeout_graceful_shutdown_s", 3, { lo: 1, step: 1 });
    expect(r.margin).toBe(1);
    expect(r.value).toBe(4);
    expect(r.sets).toEqual(["stack.uvicorn.timeout_graceful_shutdown_s=4", "stack.gunicorn.graceful_timeout_s=5", "drain.stop_wait_s=7"]);
  });

  it("uses 25% when that is larger, rounded up to the step grid", () => {
    const r = recommend("stack.uvicorn.timeout_graceful_shutdown_s", 8, { lo: 1, step: 1 });
    expect(r.margin).toBe(2);
    expect(r.value).toBe(10);
    const half = recommend("stack.uvicorn.timeout_graceful_shutdown_s", 5, { lo: 0.5, step: 0.5 });
    expect(half.value).toBe(6.5); // 5 + 1.25 = 6.25, up to the 0.5 grid
    expect(half.settings[1]).toMatchObject({ field: "stack.gunicorn.graceful_timeout_s", value: 8 }); // whole seconds
  });

  it("tunes gunicorn's graceful_timeout in whole seconds with a stop wait above it", () => {
    const r = recommend("stack.gunicorn.graceful_timeout_s", 3, { lo: 1, step: 1 });
    expect(r.sets).toEqual(["stack.gunicorn.graceful_timeout_s=4", "drain.stop_wait_s=6"]);
  });

  it("uses 1000 ms for *_ms fields and one step for unitless ones", () => {
    expect(recommend("drain.settle_ms", 200, { lo: 0, step: 100 }).value).toBe(1200);
    expect(recommend("stack.gunicorn.workers", 2, { lo: 1, step: 1 })).toMatchObject({
      margin: 1,
      value: 3,
      sets: ["stack.gunicorn.workers=3"],
    });
  });
});
