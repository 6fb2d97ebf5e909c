# The app node: gunicorn master -> uvicorn workers -> the FastAPI fixture app.
# Python packages come from Debian trixie (uvicorn >= 0.22 is needed for
# timeout_graceful_shutdown; bookworm ships 0.17).
ARG BASE_IMAGE=debian:trixie-slim
FROM ${BASE_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3-fastapi python3-uvicorn gunicorn python3-uvloop python3-httptools iproute2 procps \
 && rm -rf /var/lib/apt/lists/*
COPY fixtures/app /app
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
EXPOSE 8000
# exec form: gunicorn is PID 1 and receives SIGTERM itself
CMD ["gunicorn", "-c", "/app/gunicorn.conf.py", "app:app"]
