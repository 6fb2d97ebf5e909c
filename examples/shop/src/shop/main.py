"""The shop API: a few endpoints of different weight behind nginx and gunicorn.

/healthz answers 503 while the file /tmp/shop-draining exists, so a load
balancer (or drainlab, system.app.mark_draining) can take a node out before
it stops. Orders are counted in Redis, shared by every node.
"""

import asyncio
import base64
import json
import os
from contextlib import asynccontextmanager

import redis.asyncio as redis
from fastapi import FastAPI, Request, Response
from fastapi.responses import StreamingResponse

REDIS_URL = os.environ.get("REDIS_URL", "redis://redis:6379/0")
DRAIN_FLAG = "/tmp/shop-draining"
ORDERS_KEY = "shop:orders"
# every order placed, as an entry of a Redis stream: the order events the feed sends
EVENTS_KEY = "shop:order-events"


@asynccontextmanager
async def lifespan(app: FastAPI):
    # one client (and connection pool) per worker: with preload_app the module is
    # imported in gunicorn's master, so nothing may connect before the fork
    app.state.redis = redis.from_url(REDIS_URL, decode_responses=True)
    yield
    await app.state.redis.aclose()


app = FastAPI(title="shop", lifespan=lifespan)


@app.get("/healthz")
async def healthz(response: Response):
    if os.path.exists(DRAIN_FLAG):
        response.status_code = 503
        return {"status": "draining"}
    return {"status": "ok"}


@app.get("/api/items")
async def items(request: Request):
    orders = int(await request.app.state.redis.get(ORDERS_KEY) or 0)
    await asyncio.sleep(0.02)  # about 20 ms of "work": templating, a catalogue lookup
    return [{"sku": "A-1", "name": "mug", "ordered": orders}, {"sku": "B-2", "name": "teapot", "ordered": 0}]


@app.post("/api/orders", status_code=201)
async def create_order(request: Request):
    order = await request.json()  # {"sku": ..., "qty": ...}; not validated in this example
    n = await request.app.state.redis.incr(ORDERS_KEY)
    await request.app.state.redis.xadd(EVENTS_KEY, {"order": n, "sku": str(order.get("sku"))}, maxlen=10_000)
    return {"order": n, "sku": order.get("sku")}


@app.get("/api/export")
async def export():
    # the slowest endpoint: a report built for 2.5 s; a drain must let it finish
    await asyncio.sleep(2.5)
    return {"rows": 2, "format": "json"}


@app.get("/api/export.ndjson")
async def export_ndjson(rows: int = 20):
    # a streamed export: one JSON line per row as it is read (about 100 ms each), no end marker; the body
    # ends with the chunked encoding's terminator, so a client knows it got everything
    async def lines():
        for i in range(1, rows + 1):
            await asyncio.sleep(0.1)
            yield json.dumps({"row": i, "sku": "A-1", "qty": i % 3 + 1}) + "\n"

    return StreamingResponse(lines(), media_type="application/x-ndjson", headers={"x-accel-buffering": "no"})


def _event_id(stream_id: str) -> str:
    """A client sees an opaque id; the feed alone knows it is a position in the Redis stream."""
    return base64.urlsafe_b64encode(stream_id.encode()).decode().rstrip("=")


def _stream_id(event_id: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(event_id + "=" * (-len(event_id) % 4)).decode()
    except ValueError:
        return None


async def _order_events(request: Request, last_event_id: str | None):
    """Server-Sent Events, as sse-starlette writes them: the last 5 orders (or, with Last-Event-ID, every
    order after it), then each new order as it is placed, a `: ping` comment every second.

    It stops when its client has gone, checked each second as sse-starlette does: under uvicorn (ASGI
    spec 2.4) a StreamingResponse is not cancelled when the client leaves, and a feed that never looks
    keeps its worker busy at a shutdown until gunicorn's graceful limit kills it."""
    r = request.app.state.redis
    yield "retry: 500\n\n"
    after = _stream_id(last_event_id) if last_event_id else None
    if after is None:
        backlog = list(reversed(await r.xrevrange(EVENTS_KEY, count=5)))
        after = backlog[-1][0] if backlog else "$"
    else:
        backlog = await r.xrange(EVENTS_KEY, min=f"({after}")
        if backlog:
            after = backlog[-1][0]
    for entry_id, fields in backlog:
        yield f"id: {_event_id(entry_id)}\nevent: order\ndata: {json.dumps(fields)}\n\n"
    while not await request.is_disconnected():
        got = await r.xread({EVENTS_KEY: after}, block=1000, count=100)
        if not got:
            yield ": ping\n\n"
            continue
        for entry_id, fields in got[0][1]:
            after = entry_id
            yield f"id: {_event_id(entry_id)}\nevent: order\ndata: {json.dumps(fields)}\n\n"


def _sse(body):
    return StreamingResponse(
        body, media_type="text/event-stream", headers={"cache-control": "no-cache", "x-accel-buffering": "no"}
    )


@app.get("/api/orders/feed")
async def order_feed(request: Request):
    # a reconnecting client sends the last id it got: the feed resumes right after it
    return _sse(_order_events(request, request.headers.get("last-event-id")))


@app.get("/api/orders/live")
async def order_live(request: Request):
    # the same feed written without resume: Last-Event-ID is ignored and a reconnect starts with the last
    # 5 orders again, which the client mostly had (the must-fail control's subject)
    return _sse(_order_events(request, None))
