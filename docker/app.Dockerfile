# The app node: gunicorn master -> uvicorn workers -> the FastAPI fixture app
# (or uvicorn's own supervisor, stack.runtime). iptables (legacy backend) is for
# the network fault where the kernel lacks sch_netem (harness/faults/netem.ts).
# Python packages come from Debian trixie (uvicorn >= 0.22 is needed for
# timeout_graceful_shutdown; bookworm ships 0.17).
ARG BASE_IMAGE=debian:trixie-slim
FROM ${BASE_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3-fastapi python3-uvicorn gunicorn python3-uvloop python3-httptools python3-websockets iproute2 procps iptables \
 && rm -rf /var/lib/apt/lists/*
# the app ledger, activated for every app uvicorn loads (fixtures/ledger/sitecustomize.py), as for a user's app
COPY fixtures/ledger /drainlab-ledger
ENV PYTHONPATH=/drainlab-ledger
COPY fixtures/app /app
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
EXPOSE 8000
# start.sh execs gunicorn (or uvicorn, stack.runtime), so the server is PID 1 and receives SIGTERM itself
CMD ["sh", "/app/start.sh"]
