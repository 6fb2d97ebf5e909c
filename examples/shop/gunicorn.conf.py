# gunicorn settings of the shop API (read with `gunicorn -c`).
import os

bind = "0.0.0.0:8000"
workers = 2
worker_class = "uvicorn.workers.UvicornWorker"
# import the app once in the master; each worker is forked with it loaded
preload_app = True
# after SIGTERM, workers get this long to finish what they hold; it must exceed
# the slowest request (GET /api/export, 2.5 s) or a drain cuts it short
graceful_timeout = 8
# a worker silent for this long is killed and replaced
timeout = 20
# idle keepalive connections from nginx are kept this long (nginx: keepalive 16)
keepalive = 5
accesslog = None
errorlog = "-"


def on_starting(server):
    # a node restarted after a drain starts healthy again: drop the draining flag
    try:
        os.remove("/tmp/shop-draining")
    except FileNotFoundError:
        pass
