"""A quote service run by `uvicorn --workers 2` (uvicorn's own supervisor, no gunicorn).

It has no draining state of its own: /health always answers 200, so nginx only
stops sending to a node when it is removed from the upstream.
"""

import asyncio
import json

from fastapi import FastAPI, Request, Response, WebSocket, WebSocketDisconnect

app = FastAPI(title="quotes")


@app.get("/health")
async def health():
    return {"status": "ok"}


@app.get("/quote")
async def quote():
    await asyncio.sleep(0.05)  # about 50 ms: a price lookup
    return {"symbol": "DRN", "price": 42.0}


@app.post("/events", status_code=202)
async def events(request: Request):
    # accepted for later processing; the body is any text
    body = await request.body()
    return {"accepted": len(body)}


@app.get("/slow")
async def slow():
    await asyncio.sleep(1.0)  # about 1 s: a report nobody should wait for at a drain
    return Response(content="done\n", media_type="text/plain")


@app.websocket("/updates")
async def updates(websocket: WebSocket):
    """Price updates: each {"op": "subscribe", "symbol": ..., "updates": N} is answered with N updates, one
    every 50 ms, then {"symbol": ..., "done": true}. The subscription is this socket's: at a shutdown
    uvicorn closes the socket (1012), and a client that subscribes again gets the updates from the first."""
    await websocket.accept()
    try:
        while True:
            sub = json.loads(await websocket.receive_text())
            symbol = sub.get("symbol", "DRN")
            for seq in range(1, int(sub.get("updates", 3)) + 1):
                await asyncio.sleep(0.05)
                await websocket.send_text(json.dumps({"symbol": symbol, "seq": seq, "price": 42.0 + seq / 100}))
            await websocket.send_text(json.dumps({"symbol": symbol, "done": True}))
    except WebSocketDisconnect:
        pass
