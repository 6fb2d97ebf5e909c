"""A quote service run by `uvicorn --workers 2` (uvicorn's own supervisor, no gunicorn).

It has no draining state of its own: /health always answers 200, so nginx only
stops sending to a node when it is removed from the upstream.
"""

import asyncio

from fastapi import FastAPI, Request, Response

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
