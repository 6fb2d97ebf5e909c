#!/bin/sh
# Removes everything up.sh started (containers and network labelled example=attach-docker).
set -u
ids=$(docker ps -aq --filter label=example=attach-docker)
[ -z "$ids" ] || docker rm -f $ids >/dev/null
docker network rm attach-net >/dev/null 2>&1 || true
