"""The shop API: a few endpoints of different weight behind nginx and gunicorn.

/healthz answers 503 while the file /tmp/shop-draining exists, so a load
balancer (or drainlab, system.app.mark_draining) can take a node out before
it stops. Orders are counted in Redis, shared by every node.
"""

import asyncio
import os
from contextlib import asynccontextmanager

import redis.asyncio as redis
from fastapi import FastAPI, Request, Response

REDIS_URL = os.environ.get("REDIS_URL", "redis://redis:6379/0")
DRAIN_FLAG = "/tmp/shop-draining"
ORDERS_KEY = "shop:orders"


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
    return {"order": n, "sku": order.get("sku")}


@app.get("/api/export")
async def export():
    # the slowest endpoint: a report built for 2.5 s; a drain must let it finish
    await asyncio.sleep(2.5)
    return {"rows": 2, "format": "json"}
