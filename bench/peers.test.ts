import { describe, expect, it } from "vitest";
import { BlankLines } from "./peers.ts";

describe("the net peer's answer count", () => {
  const answer = "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 0\r\n\r\n";

  it("counts every answer however the stream is cut into reads", () => {
    const stream = Buffer.from(answer.repeat(5));
    for (let size = 1; size <= stream.length; size++) {
      const counter = new BlankLines();
      let n = 0;
      for (let at = 0; at < stream.length; at += size) n += counter.count(stream.subarray(at, at + size));
      expect(n, `reads of ${size} bytes`).toBe(5);
    }
  });

  it("does not count a CRLF pair that is not a blank line", () => {
    const counter = new BlankLines();
    expect(counter.count(Buffer.from("a\r\nb\r\n"))).toBe(0);
    expect(counter.count(Buffer.from("\r\n"))).toBe(1);
  });
});
