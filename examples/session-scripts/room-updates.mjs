// A session script (a mix entry's `session:`): a chat room's updates over a
// WebSocket, a protocol drainlab's declarative `websocket` kind cannot say.
// The client subscribes with {"subscribe": room, "after": last seq seen}; the
// app answers {"type": "hello", "total": N}, then one {"type": "update",
// "seq": n} per update, then {"type": "end"}. When the node drains, the app
// closes with 1001 or 1012 and the client subscribes again on another node,
// after the last update it saw.
//
// Its record is judged as a websocket's: websockets-closed-cleanly (every close
// 1000, 1001 or 1012, nothing lost). An update received twice is counted on
// the record (duplicate_units) and shown in the sessions table.

const MAX_CONNECTIONS = 5;

/** @param ctx drainlab's SessionContext (harness/load/session-script.ts): ws, fetch, unit, expect, lost, signal */
export default async function roomUpdates(ctx) {
  let last = 0;
  for (let n = 0; n < MAX_CONNECTIONS; n++) {
    const code = await new Promise((resolve) => {
      const ws = ctx.ws();
      const leave = () => ws.close(1000);
      ctx.signal.addEventListener("abort", leave, { once: true });
      ws.onopen = () => ws.send(JSON.stringify({ subscribe: "room-1", after: last }));
      ws.onmessage = (ev) => {
        const m = JSON.parse(String(ev.data));
        if (m.type === "hello") ctx.expect(m.total);
        else if (m.type === "end") ws.close(1000);
        else if (m.type === "update") {
          if (m.seq > last + 1) ctx.lost(`updates ${last + 1}-${m.seq - 1} never came`, m.seq - last - 1);
          if (ctx.unit(m.seq)) last = Math.max(last, m.seq);
        }
      };
      ws.onclose = (ev) => {
        ctx.signal.removeEventListener("abort", leave);
        resolve(ev.code);
      };
    });
    // 1000: we closed it (the end, or the load is over)
    if (code === 1000 || ctx.signal.aborted) return;
    // a close without a close frame: whatever was in flight is gone
    if (code === 1006) return ctx.lost("the connection ended without a close frame (1006)");
  }
  ctx.lost(`no end after ${MAX_CONNECTIONS} connections`);
}
