// A load shard's thread (see shards.ts). Plain JavaScript that registers tsx's loader in this thread, so the
// TypeScript shard runs the same whether the main thread runs under tsx, vitest or plain node.
import { register } from "tsx/esm/api";

register();
await import("./shard-worker.ts");
