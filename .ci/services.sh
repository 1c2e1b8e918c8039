#!/usr/bin/env bash
# Starts the services the scale-out tests need (issue 8), on loopback only: PostgreSQL (role and
# database `rtcmesh`, password `rtcmesh`) and Redis. Idempotent: installs from apt what is missing,
# starts what is not running, creates the role and database once. Run as root (CI runs as root).
# Tests find them via RTCMESH_TEST_PG (default postgres://rtcmesh:rtcmesh@127.0.0.1:5432/rtcmesh)
# and RTCMESH_TEST_REDIS (default redis://127.0.0.1:6379).
set -euo pipefail

need=()
command -v pg_ctlcluster >/dev/null || need+=(postgresql)
command -v redis-server >/dev/null || need+=(redis-server)
if [ "${#need[@]}" -gt 0 ]; then
  echo "services: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq

  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# PostgreSQL: the first cluster apt created (or create one), listening on 127.0.0.1 only.
if ! pg_lsclusters -h | grep -q .; then
  ver=$(ls /usr/lib/postgresql | sort -V | tail -1)
  pg_createcluster "$ver" main >/dev/null
fi
read -r ver name port status _ < <(pg_lsclusters -h | head -1)
if [ "$status" != "online" ]; then
  pg_ctlcluster "$ver" "$name" start -o "-c listen_addresses=127.0.0.1 -c max_connections=300"
fi
for _ in $(seq 50); do
  su postgres -c "psql -p $port -qtAc 'select 1'" >/dev/null 2>&1 && break
  sleep 0.2
done
psql_admin() { su postgres -c "psql -p $port -v ON_ERROR_STOP=1 -qtAc \"$1\""; }
if [ "$(psql_admin "select 1 from pg_roles where rolname='rtcmesh'")" != "1" ]; then
  psql_admin "create role rtcmesh login password 'rtcmesh' createdb"
fi
if [ "$(psql_admin "select 1 from pg_database where datname='rtcmesh'")" != "1" ]; then
  psql_admin "create database rtcmesh owner rtcmesh"
fi

# Redis: loopback only, no persistence (the bus keeps nothing that must survive a restart).
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no \
    --logfile /tmp/rtcmesh-redis.log
  for _ in $(seq 50); do
    redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break
    sleep 0.1
  done
fi
echo "services: postgresql $ver/$name on 127.0.0.1:$port, redis on 127.0.0.1:6379"
