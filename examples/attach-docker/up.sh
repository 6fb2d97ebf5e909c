#!/bin/sh
# Starts the example's stack with plain docker commands, outside drainlab:
# nginx (attach-nginx, published on 127.0.0.1:18080) in front of two app nodes
# (attach-node-1, attach-node-2: gunicorn -> uvicorn workers -> FastAPI), on
# the network attach-net. The app image carries drainlab's app-ledger module
# (on PYTHONPATH); DRAINLAB_LEDGER=- makes it write to stdout, which
# `docker logs` keeps after a node has exited.
#
# Images: APP_IMAGE and NGINX_IMAGE, by default drainlab's own images, built
# by `npx drainlab setup` (any image with nginx, or with the app, will do).
set -eu
cd "$(dirname "$0")"
APP_IMAGE=${APP_IMAGE:-$(docker images --format '{{.Repository}}:{{.Tag}}' drainlab/app | head -n 1)}
NGINX_IMAGE=${NGINX_IMAGE:-$(docker images --format '{{.Repository}}:{{.Tag}}' drainlab/nginx | head -n 1)}
PORT=${PORT:-18080}
[ -n "$APP_IMAGE" ] && [ -n "$NGINX_IMAGE" ] || { echo "up.sh: no drainlab/app or drainlab/nginx image: run npx drainlab setup, or set APP_IMAGE and NGINX_IMAGE" >&2; exit 2; }

./down.sh
mkdir -p logs
docker network create --label example=attach-docker attach-net >/dev/null
for n in 1 2; do
  docker run -d --name "attach-node-$n" --network attach-net --label example=attach-docker \
    -e DRAINLAB_NODE="node-$n" -e DRAINLAB_LEDGER=- \
    -e GUNICORN_WORKERS=2 -e GUNICORN_GRACEFUL_TIMEOUT=10 \
    "$APP_IMAGE" >/dev/null
done
# nginx.conf is copied in, so the drain's `sed -i` edits the container's copy, never this folder's file
docker create --name attach-nginx --network attach-net --label example=attach-docker \
  -p "127.0.0.1:$PORT:80" -v "$PWD/logs:/var/log/drainlab" "$NGINX_IMAGE" >/dev/null
docker cp nginx.conf attach-nginx:/etc/nginx/nginx.conf
docker start attach-nginx >/dev/null

# ready: both nodes answer through nginx
i=0
until node -e 'fetch(process.argv[1]).then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))' "http://127.0.0.1:$PORT/health" && \
      docker exec attach-node-1 python3 -c 'import urllib.request; urllib.request.urlopen("http://127.0.0.1:8000/health")' 2>/dev/null && \
      docker exec attach-node-2 python3 -c 'import urllib.request; urllib.request.urlopen("http://127.0.0.1:8000/health")' 2>/dev/null; do
  i=$((i + 1))
  [ "$i" -lt 120 ] || { echo "up.sh: the stack did not answer within 60 s" >&2; docker logs attach-node-1 2>&1 | tail -n 20 >&2; exit 3; }
  sleep 0.5
done
echo "up: http://127.0.0.1:$PORT (nginx) -> attach-node-1, attach-node-2"
