#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server on 127.0.0.1:${PGPORT:-54329} for the storage tests
# and prints the DATABASE_URL_POSTGRES_TEST to use. Installs Debian's server if missing.
set -euo pipefail
port=${PGPORT:-54329}
# take the next free port if another server (an earlier run's) holds this one
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pgbin" ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >/dev/null
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
id postgres >/dev/null 2>&1 || useradd --system --home /var/lib/postgresql postgres
dir=$(mktemp -d /tmp/buddy-pg.XXXXXX)
chown postgres "$dir"
runuser -u postgres -- "$pgbin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 >/dev/null
runuser -u postgres -- "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
runuser -u postgres -- "$pgbin/createdb" -h 127.0.0.1 -p "$port" buddy_test
echo "postgresql+asyncpg://postgres@127.0.0.1:$port/buddy_test"
