import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { nodeDir, RAW_FILES, readAppLedger, readNginxLog } from "./server-logs.ts";

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "drainlab-logs-")), "log.jsonl");
  writeFileSync(path, text);
  return path;
}

describe("server logs", () => {
  it("reads nginx retries as one entry per upstream attempt", () => {
    const log = readNginxLog(
      file(
        '{"t":1795575381.042,"id":"r-1","method":"GET","uri":"/work?ms=5","status":200,"upstream_addr":"172.20.0.2:8000, 172.20.0.3:8000","upstream_status":"502, 200","request_time":3.007,"upstream_response_time":"1.0, 2.0","bytes":34,"generation":2,"worker_pid":7}\n' +
          '{"t":1795575381.1,"id":"","method":"GET","status":200,"upstream_addr":"-","upstream_status":"-","request_time":0,"generation":1}\n' +
          '{"t":17955753\n',
      ),
    );
    expect(log.unreadable).toBe(1);
    expect(log.rows).toHaveLength(1);
    expect(log.rows[0]).toMatchObject({
      id: "r-1",
      upstreamAddrs: ["172.20.0.2:8000", "172.20.0.3:8000"],
      upstreamStatuses: ["502", "200"],
      requestTimeMs: 3007,
      generation: 2,
    });
    expect(log.rows[0]!.endEpochMs).toBeCloseTo(1795575381042, 0);
  });

  it("reads the app ledger and tolerates a missing file", () => {
    const log = readAppLedger(
      file(
        '{"t":1.5,"event":"start","id":"r-1","node":"node-1","pid":8,"method":"GET","path":"/work"}\n{"t":2,"event":"finish","id":"r-1","node":"node-1","pid":8,"status":200}\n',
      ),
    );
    expect(log.rows).toEqual([
      { epochMs: 1500, event: "start", id: "r-1", node: "node-1", pid: 8 },
      { epochMs: 2000, event: "finish", id: "r-1", node: "node-1", pid: 8, status: 200 },
    ]);
    expect(readAppLedger("/nonexistent/x.jsonl")).toEqual({ rows: [], unreadable: 0 });
  });
});

describe("nodeDir: an attached node's name as its raw/ folder", () => {
  it("never leaves raw/ and never takes the client ledger's name", () => {
    expect(nodeDir("api-0")).toBe("api-0");
    expect(nodeDir("pod/api 1")).toBe("pod_api_1");
    expect(nodeDir("..")).toBe("node_..");
    expect(nodeDir(".")).toBe("node_.");
    expect(nodeDir("client-ledger.jsonl")).toBe("node_client-ledger.jsonl");
    expect(RAW_FILES.appLedger("..")).toBe("raw/node_../app-ledger.jsonl");
  });
});
