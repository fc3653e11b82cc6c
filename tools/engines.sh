# Throwaway shared engines on loopback for ./test.sh and bench/run.sh: PostgreSQL, Redis and
# Azurite (Azure Blob Storage). Source it, call engines_init, then the start_* functions you need;
# engines_stop (put it in an EXIT trap) stops what was started and removes their folders.
# Expects: $root (the repository), fail(), say().

engines_init() {
  engines_dir=$(mktemp -d /tmp/omeportal-engines.XXXXXX)
  chmod 755 "$engines_dir"
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  azurite_pid=""
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

as_pg() { if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi; }

# start_postgres PORT FSYNC(on|off): exports engines_postgres (a server connection string without a database).
start_postgres() {
  local port=$1 fsync=$2 data="$engines_dir/pg"
  [ -x "$pg_bin/initdb" ] || fail "PostgreSQL server binaries not found"
  mkdir -p "$data"
  [ "$(id -u)" -eq 0 ] && chown postgres "$data"
  say "starting PostgreSQL on 127.0.0.1:$port (fsync=$fsync)"
  as_pg "$pg_bin/initdb -D $data/cluster -U postgres -A trust --no-sync -E UTF8" >"$engines_dir/initdb.log" 2>&1 \
    || { cat "$engines_dir/initdb.log"; fail "initdb failed"; }
  as_pg "$pg_bin/pg_ctl -D $data/cluster -l $data/pg.log -o '-p $port -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=$fsync -c full_page_writes=$fsync' -w start" >/dev/null \
    || { cat "$data/pg.log"; fail "PostgreSQL did not start"; }
  engines_pgdata="$data/cluster"
  engines_postgres="Host=127.0.0.1;Port=$port;Username=postgres;Timeout=30;Command Timeout=60"
}

# start_redis: nothing written to disk; exports engines_redis (host:port).
start_redis() {
  local bin port
  bin=$(command -v redis-server || ls /usr/bin/redis-server 2>/dev/null || true)
  [ -x "$bin" ] || fail "redis-server not found"
  port=$(free_port)
  mkdir -p "$engines_dir/redis"
  say "starting Redis on 127.0.0.1:$port"
  "$bin" --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
      --dir "$engines_dir/redis" --pidfile "$engines_dir/redis/redis.pid" --logfile "$engines_dir/redis/redis.log" \
    || fail "Redis did not start"
  for _ in $(seq 50); do
    redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 || { cat "$engines_dir/redis/redis.log"; fail "Redis did not answer"; }
  engines_redis="127.0.0.1:$port"
}

# start_azurite: exports engines_azurite (a connection string) and engines_azurite_data (its folder).
start_azurite() {
  local bin="$root/tests/Azurite/node_modules/.bin/azurite-blob" port
  if [ ! -x "$bin" ]; then
    say "installing azurite"
    (cd "$root/tests/Azurite" && npm ci --no-audit --no-fund --silent) || fail "npm ci (azurite) failed"
  fi
  [ -x "$bin" ] || fail "azurite-blob not found after install"
  port=$(free_port)
  mkdir -p "$engines_dir/azurite/data"
  say "starting Azurite on 127.0.0.1:$port"
  "$bin" --blobHost 127.0.0.1 --blobPort "$port" --location "$engines_dir/azurite/data" \
      --silent --skipApiVersionCheck >"$engines_dir/azurite/azurite.log" 2>&1 &
  azurite_pid=$!
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/devstoreaccount1?comp=list" && break
    sleep 0.2
  done
  curl -s -o /dev/null "http://127.0.0.1:$port/devstoreaccount1?comp=list" \
    || { cat "$engines_dir/azurite/azurite.log"; fail "Azurite did not answer"; }
  # Azurite's one well-known development account (public, in Microsoft's documentation).
  engines_azurite="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:$port/devstoreaccount1;"
  engines_azurite_data="$engines_dir/azurite/data"
}

engines_stop() {
  [ -n "${engines_dir:-}" ] || return 0
  if [ -n "${azurite_pid:-}" ]; then
    kill "$azurite_pid" 2>/dev/null || true
    wait "$azurite_pid" 2>/dev/null || true
  fi
  if [ -f "$engines_dir/redis/redis.pid" ]; then
    kill "$(cat "$engines_dir/redis/redis.pid")" 2>/dev/null || true
  fi
  if [ -f "$engines_dir/pg/cluster/postmaster.pid" ]; then
    as_pg "$pg_bin/pg_ctl -D $engines_dir/pg/cluster -m immediate stop" >/dev/null 2>&1 || true
  fi
  rm -rf "$engines_dir"
}
