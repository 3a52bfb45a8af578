#!/usr/bin/env bash
# Shared set-up steps for infra/run.sh and infra/test.sh (sourced, not run).
#
# Everything this starts lives under $ORDERS_DATA (.local/ at the repo root, git-ignored) and listens
# on 127.0.0.1 only. A Kafka or PostgreSQL of ours that is already running (pid file + live process +
# open port) is reused and left running; orders::stop_started stops only what this shell started.
#
# Settings (environment): KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), PG_PORT (55432),
# ORDERS_TOPIC (orders.events), INVENTORY_TOPIC (inventory.events), BUILD_DIR (build; build-asan for test.sh --sanitize), BUILD_TYPE (RelWithDebInfo).

ORDERS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ORDERS_DATA="${ORDERS_DATA:-$ORDERS_ROOT/.local}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
PG_PORT="${PG_PORT:-55432}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
ORDERS_TOPIC="${ORDERS_TOPIC:-orders.events}"
INVENTORY_TOPIC="${INVENTORY_TOPIC:-inventory.events}"
BUILD_DIR="${BUILD_DIR:-$ORDERS_ROOT/build}"
BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}"
KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT"
DATABASE_URL="postgresql://orders@127.0.0.1:$PG_PORT/orders"
# The orders role's password (orders::start_postgres writes it); scripts that only use a running stack
# (infra/sanitizers/tsan.sh) find it here too.
if [[ -z ${PGPASSFILE:-} && -f $ORDERS_DATA/secrets/pgpass ]]; then export PGPASSFILE="$ORDERS_DATA/secrets/pgpass"; fi
ORDERS_STARTED=()      # what this shell started, stopped in reverse order by orders::stop_started
declare -gA ORDERS_TIMINGS=()

orders::log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
orders::die() { orders::log "ERROR: $*"; exit 1; }

# orders::timed NAME COMMAND...: runs the command and records its duration for orders::print_timings.
orders::timed() {
  local name=$1 start=$SECONDS
  shift
  "$@"
  local status=$?
  ORDERS_TIMINGS[$name]=$((SECONDS - start))
  return $status
}

orders::print_timings() {
  local name
  orders::log "timings (seconds):"
  for name in "${!ORDERS_TIMINGS[@]}"; do printf '  %-14s %4ss\n' "$name" "${ORDERS_TIMINGS[$name]}" >&2; done
  if ((ORDERS_CCACHE_HITS + ORDERS_CCACHE_MISSES)); then
    printf '  ccache         %s hits, %s misses\n' "$ORDERS_CCACHE_HITS" "$ORDERS_CCACHE_MISSES" >&2
  fi
  orders::write_timings
}

# With ORDERS_TIMINGS_FILE set (.ci/run sets it), appends one line per run for the CI report:
# step=<name> build=<s> tests=<s> total=<s> hits=<n> misses=<n>.
orders::write_timings() {
  [[ -n ${ORDERS_TIMINGS_FILE:-} ]] || return 0
  local total=$SECONDS
  printf 'step=%s build=%s tests=%s total=%s hits=%s misses=%s\n' "${ORDERS_STEP_NAME:-$(basename "$0")}" \
    "${ORDERS_TIMINGS[build]:-0}" "${ORDERS_TIMINGS[tests]:-${ORDERS_TIMINGS[fuzz]:-0}}" "$total" \
    "$ORDERS_CCACHE_HITS" "$ORDERS_CCACHE_MISSES" >>"$ORDERS_TIMINGS_FILE"
}

orders::port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# orders::wait_for DESCRIPTION SECONDS COMMAND...: polls COMMAND every 0.25 s.
orders::wait_for() {
  local what=$1 limit=$2 deadline
  shift 2
  deadline=$((SECONDS + limit))
  until "$@"; do
    ((SECONDS >= deadline)) && { orders::log "timed out after ${limit}s waiting for $what"; return 1; }
    sleep 0.25
  done
}

orders::pid_alive() { [[ -f $1 ]] && kill -0 "$(head -1 "$1")" 2>/dev/null; }

orders::install_deps() {
  local packages=(build-essential cmake ninja-build pkg-config git curl ca-certificates
    librdkafka-dev libpistache-dev librestinio-dev libasio-dev libfmt-dev libhttp-parser-dev
    libpqxx-dev libpq-dev librocksdb-dev nlohmann-json3-dev libgtest-dev libgmock-dev libssl-dev
    postgresql postgresql-contrib maven python3 python3-jsonschema python3-yaml python3-venv ccache mold clang-format)
  command -v java >/dev/null 2>&1 || packages+=(default-jdk-headless)
  command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
  local missing=() package
  for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  if ((${#missing[@]})); then
    orders::log "installing: ${missing[*]}"
    local sudo=""
    ((EUID == 0)) || sudo="sudo"
    $sudo apt-get update -qq || orders::die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
      orders::die "apt-get install failed"
  fi
}

# Debian's Chromium and playwright-core (from npm) for the browser test of the page.
orders::browser_test_deps() {
  dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "install ok installed" || {
    orders::log "installing chromium for the browser test"
    local sudo=""
    ((EUID == 0)) || sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null ||
      { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null; } ||
      orders::die "could not install chromium"
  }
  local browser_dir="$ORDERS_ROOT/tests/e2e/browser"
  if [[ ! -d $browser_dir/node_modules/playwright-core ]]; then
    orders::log "installing playwright-core from npm"
    (cd "$browser_dir" && npm ci --no-audit --no-fund --silent) || orders::die "npm could not install playwright-core"
  fi
}

# Debian's prometheus package, for its promtool: the unit tests check the scrape configuration and
# the alert rules of infra/observability and run the rules' unit tests with it. Only ./infra/test.sh
# installs it (on a machine run by systemd the package also enables a Prometheus on :9090; see
# infra/observability/README.md).
orders::observability_test_deps() {
  command -v promtool >/dev/null 2>&1 && return 0
  orders::log "installing prometheus (promtool) for the alert rule tests"
  local sudo=""
  ((EUID == 0)) || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus >/dev/null ||
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus >/dev/null; } ||
    orders::die "could not install prometheus (promtool)"
}

# Python test tools from PyPI (tests/tools/requirements.txt: Schemathesis for the property-based contract
# tests, standardwebhooks to verify webhook signatures), in a virtual environment under the data
# folder, made again only when tests/tools/requirements.txt changes (pip keeps its download cache in
# ~/.cache/pip). Exports ORDERS_SCHEMATHESIS, where tests/tools/run_schemathesis.py finds it, and
# ORDERS_PYTHON_TOOLS (the environment), where tests/tools/verify_webhook_signatures.py finds its library.
orders::python_test_tools() {
  local venv="$ORDERS_DATA/python-tools" requirements="$ORDERS_ROOT/tests/tools/requirements.txt" stamp
  stamp="$(sha256sum "$requirements" | cut -d' ' -f1)"
  if [[ ! -f $venv/.stamp || $(cat "$venv/.stamp") != "$stamp" ]]; then
    orders::log "installing the Python test tools (tests/tools/requirements.txt) with pip"
    rm -rf "$venv"
    { /usr/bin/python3 -m venv "$venv" && "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements"; } \
      >"$ORDERS_DATA/pip.log" 2>&1 || { tail -30 "$ORDERS_DATA/pip.log" >&2; orders::die "pip could not install the Python test tools"; }
    echo "$stamp" >"$venv/.stamp"
  fi
  export ORDERS_SCHEMATHESIS="$venv/bin/schemathesis" ORDERS_PYTHON_TOOLS="$venv"
}

# orders::maven_jars POM FOLDER: the runtime jars POM names, copied into $ORDERS_DATA/FOLDER by Maven
# (downloads cached in ~/.m2); done again only when the POM changes.
orders::maven_jars() {
  local pom="$ORDERS_ROOT/$1" libs="$ORDERS_DATA/$2" stamp
  stamp="$(sha256sum "$pom" | cut -d' ' -f1)"
  if [[ -f $libs/.stamp && $(cat "$libs/.stamp") == "$stamp" ]]; then return 0; fi
  orders::log "resolving the jars of $1 with Maven (cached in ~/.m2)"
  rm -rf "$libs"
  mkdir -p "$libs"
  mvn -q -B -f "$pom" dependency:copy-dependencies \
    -DoutputDirectory="$libs" -DincludeScope=runtime >"$ORDERS_DATA/maven-$2.log" 2>&1 ||
    { tail -30 "$ORDERS_DATA/maven-$2.log" >&2; orders::die "Maven could not resolve the jars of $1"; }
  echo "$stamp" >"$libs/.stamp"
}

# The broker every script and test runs (infra/local/pom.xml).
orders::kafka_jars() { orders::maven_jars infra/local/pom.xml kafka-libs; }

# A Kafka 3.9 broker, only for the SCRAM-SHA-512 test of tests/integration/secured_kafka (the pom says
# why). The test finds it through ORDERS_KAFKA_3_9_LIBS, or next to the main broker's kafka-libs.
orders::kafka_3_9_jars() {
  orders::maven_jars infra/local/kafka-3.9/pom.xml kafka-3.9-libs
  export ORDERS_KAFKA_3_9_LIBS="$ORDERS_DATA/kafka-3.9-libs"
}

KAFKA_JAVA_OPTS=(-Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
  "-Dkafka.logs.dir=$ORDERS_DATA/logs/kafka"
  "-Dlog4j2.configurationFile=$ORDERS_ROOT/infra/local/log4j2.properties"
  -cp "$ORDERS_DATA/kafka-libs/*")

orders::kafka_java() { java "${KAFKA_JAVA_OPTS[@]}" "$@"; }

orders::kafka_topics() {
  java -Xmx256m -XX:TieredStopAtLevel=1 "-Dlog4j2.configurationFile=$ORDERS_ROOT/infra/local/log4j2.properties" \
    "-Dkafka.logs.dir=$ORDERS_DATA/logs/kafka" -cp "$ORDERS_DATA/kafka-libs/*" \
    org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BROKERS" "$@"
}

orders::start_kafka() {
  local pid_file="$ORDERS_DATA/kafka.pid" data="$ORDERS_DATA/kafka" props="$ORDERS_DATA/kafka.properties"
  mkdir -p "$data" "$ORDERS_DATA/logs/kafka"
  if orders::pid_alive "$pid_file" && orders::port_open "$KAFKA_PORT"; then
    orders::log "reusing the running Kafka on 127.0.0.1:$KAFKA_PORT"
    return 0
  fi
  orders::port_open "$KAFKA_PORT" && orders::die "port $KAFKA_PORT is taken by something else (set KAFKA_PORT)"
  sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" -e "s|@KAFKA_CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
    -e "s|@KAFKA_DATA@|$data|g" "$ORDERS_ROOT/infra/local/kafka.properties.in" >"$props"
  if [[ ! -f $data/meta.properties ]]; then
    orders::log "formatting the Kafka log directory"
    local cluster_id
    cluster_id="$(orders::kafka_java kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
    orders::kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$props" >"$ORDERS_DATA/logs/kafka-format.log" 2>&1 ||
      { cat "$ORDERS_DATA/logs/kafka-format.log" >&2; orders::die "Kafka storage format failed"; }
  fi
  orders::log "starting Kafka on 127.0.0.1:$KAFKA_PORT"
  (exec java "${KAFKA_JAVA_OPTS[@]}" kafka.Kafka "$props") </dev/null >"$ORDERS_DATA/logs/kafka-stdout.log" 2>&1 &
  echo $! >"$pid_file"
  ORDERS_STARTED+=(kafka)
  if ! orders::wait_for "Kafka to listen" 90 orders::port_open "$KAFKA_PORT" ||
     ! orders::wait_for "Kafka to answer" 60 orders::kafka_topics --list >/dev/null 2>&1; then
    tail -40 "$ORDERS_DATA/logs/kafka/server.log" "$ORDERS_DATA/logs/kafka-stdout.log" >&2 2>/dev/null
    orders::die "Kafka did not start"
  fi
}

# orders::start_kafka_cluster [NAME]: three Kafka nodes (each broker and controller, KRaft) from
# infra/local/kafka-cluster.properties.in: replication factor 3 and min.insync.replicas 2 for every topic,
# so one node can die without losing an acknowledged record. Node N listens for clients on
# KAFKA_PORT + 2(N-1) (9092, 9094, 9096) and for the controller quorum on KAFKA_CONTROLLER_PORT + 2(N-1)
# (9093, 9095, 9097); data under $ORDERS_DATA/NAME-cluster/node-N, pid in $ORDERS_DATA/NAME-N.pid, logs in
# $ORDERS_DATA/logs/NAME-N (NAME: kafka, the cluster of run.sh; the benchmarks name theirs, so that a
# developer's cluster on other ports is never mistaken for it). Sets KAFKA_BROKERS to the three addresses
# and KAFKA_REPLICATION_FACTOR to 3. A running cluster of ours is reused; a node that is down (killed by
# hand) is started again.
orders::start_kafka_cluster() {
  local name=${1:-kafka} n voters="" brokers="" cluster_id="" node_dir props port controller_port started=()
  for n in 1 2 3; do
    voters+="${voters:+,}$n@127.0.0.1:$((KAFKA_CONTROLLER_PORT + 2 * (n - 1)))"
    brokers+="${brokers:+,}127.0.0.1:$((KAFKA_PORT + 2 * (n - 1)))"
  done
  KAFKA_BROKERS="$brokers"
  KAFKA_REPLICATION_FACTOR=3
  mkdir -p "$ORDERS_DATA/$name-cluster" "$ORDERS_DATA/logs"
  [[ -f $ORDERS_DATA/$name-cluster/cluster-id ]] ||
    orders::kafka_java kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1 >"$ORDERS_DATA/$name-cluster/cluster-id"
  cluster_id="$(cat "$ORDERS_DATA/$name-cluster/cluster-id")"
  for n in 1 2 3; do
    port=$((KAFKA_PORT + 2 * (n - 1)))
    controller_port=$((KAFKA_CONTROLLER_PORT + 2 * (n - 1)))
    node_dir="$ORDERS_DATA/$name-cluster/node-$n"
    props="$node_dir/kafka.properties"
    if orders::pid_alive "$ORDERS_DATA/$name-$n.pid" && orders::port_open "$port"; then
      orders::log "reusing Kafka node $n on 127.0.0.1:$port"
      continue
    fi
    orders::port_open "$port" && orders::die "port $port is taken by something else (set KAFKA_PORT)"
    orders::port_open "$controller_port" && orders::die "port $controller_port is taken by something else (set KAFKA_CONTROLLER_PORT)"
    mkdir -p "$node_dir/data" "$ORDERS_DATA/logs/$name-$n"
    sed -e "s|@NODE_ID@|$n|g" -e "s|@VOTERS@|$voters|g" \
      -e "s|@LISTENERS@|PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port|g" \
      -e "s|@ADVERTISED_LISTENERS@|PLAINTEXT://127.0.0.1:$port|g" -e "s|@INTER_BROKER_LISTENER@|PLAINTEXT|g" \
      -e "s|@PROTOCOL_MAP@|PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT|g" -e "s|@KAFKA_DATA@|$node_dir/data|g" \
      "$ORDERS_ROOT/infra/local/kafka-cluster.properties.in" >"$props"
    if [[ ! -f $node_dir/data/meta.properties ]]; then
      orders::log "formatting the log directory of Kafka node $n"
      orders::kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$props" >"$ORDERS_DATA/logs/$name-$n-format.log" 2>&1 ||
        { cat "$ORDERS_DATA/logs/$name-$n-format.log" >&2; orders::die "Kafka storage format failed on node $n"; }
    fi
    orders::log "starting Kafka node $n on 127.0.0.1:$port (controller $controller_port)"
    (exec java "${KAFKA_JAVA_OPTS[@]/#-Dkafka.logs.dir=*/-Dkafka.logs.dir=$ORDERS_DATA/logs/$name-$n}" kafka.Kafka "$props") \
      </dev/null >"$ORDERS_DATA/logs/$name-$n-stdout.log" 2>&1 &
    echo $! >"$ORDERS_DATA/$name-$n.pid"
    ORDERS_STARTED+=("kafka-node:$name-$n")
    started+=("$n")
  done
  # A node opens its client port only once two of the three controllers are up: all start before any wait.
  for n in "${started[@]}"; do
    if ! orders::wait_for "Kafka node $n to listen" 120 orders::port_open "$((KAFKA_PORT + 2 * (n - 1)))"; then
      tail -40 "$ORDERS_DATA/logs/$name-$n/server.log" "$ORDERS_DATA/logs/$name-$n-stdout.log" >&2 2>/dev/null
      orders::die "Kafka node $n did not start"
    fi
  done
  orders::wait_for "the Kafka cluster to answer" 60 orders::kafka_topics --list >/dev/null 2>&1 ||
    orders::die "the Kafka cluster does not answer on $KAFKA_BROKERS"
}

orders::create_topic() {
  local name=$1 partitions=${2:-6}
  orders::kafka_topics --create --if-not-exists --topic "$name" --partitions "$partitions" \
    --replication-factor "${KAFKA_REPLICATION_FACTOR:-1}" --config retention.ms=-1 --config retention.bytes=-1 >/dev/null ||
    orders::die "could not create topic $name"
}

orders::pg_as_postgres() { runuser -u postgres -- "$@"; }

# psql as the postgres superuser over the cluster's own unix socket (peer authentication: only the
# postgres OS user gets in that way; nobody gets superuser access over TCP). SQL comes on stdin, so
# a password in it never shows on a command line.
orders::pg_admin() { orders::pg_as_postgres psql -h "$ORDERS_DATA/pg-run" -p "$PG_PORT" -d postgres -v ON_ERROR_STOP=1 -qtA "$@"; }

# The client authentication rules of our cluster: the superuser only through the local socket, every
# TCP connection (loopback only) by SCRAM password.
orders::write_pg_hba() {
  cat >"$1" <<'HBA'
# Written by infra/lib/common.sh (orders::start_postgres).
# TYPE  DATABASE  USER      ADDRESS        METHOD
local   all       postgres                 peer
host    all       all       127.0.0.1/32   scram-sha-256
host    all       all       ::1/128        scram-sha-256
HBA
}

# The orders role's password: made on first run, kept under the data folder (0600), handed to libpq
# through a password file (PGPASSFILE, exported) so DATABASE_URL and command lines carry no secret.
orders::pg_password() {
  local secrets="$ORDERS_DATA/secrets" file="$ORDERS_DATA/secrets/pg_password"
  if [[ ! -s $file ]]; then
    (umask 077 && mkdir -p "$secrets" && od -An -tx1 -N20 /dev/urandom | tr -d ' \n' >"$file") ||
      orders::die "cannot write $file"
  fi
  chmod 700 "$secrets" && chmod 600 "$file"
  cat "$file"
}

# Any port: the fault tests reach the same server through a TCP proxy on a port of their own.
orders::write_pgpass() {
  local password=$1
  (umask 077 && printf '127.0.0.1:*:*:orders:%s\n' "$password" >"$ORDERS_DATA/secrets/pgpass") ||
    orders::die "cannot write $ORDERS_DATA/secrets/pgpass"
  export PGPASSFILE="$ORDERS_DATA/secrets/pgpass"
}

# Creates the orders role and database, or brings those of an older run in line: a login role that
# is not a superuser, owns the database (so it may create the read-model schemas the projection
# builds and swaps) and has the password of the secrets file.
orders::pg_provision() {
  local password=$1
  orders::pg_admin <<SQL >/dev/null || return 1
SELECT format('CREATE ROLE orders LOGIN') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'orders')
\gexec
ALTER ROLE orders LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS PASSWORD '$password';
SELECT 'CREATE DATABASE orders OWNER orders' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'orders')
\gexec
ALTER DATABASE orders OWNER TO orders;
GRANT CREATE, CONNECT, TEMPORARY ON DATABASE orders TO orders;
SQL
}

orders::start_postgres() {
  local pgdata="$ORDERS_DATA/pg" sockets="$ORDERS_DATA/pg-run" log="$ORDERS_DATA/logs/postgres.log"
  mkdir -p "$ORDERS_DATA/logs" "$sockets"
  local password
  password="$(orders::pg_password)" || exit 1
  orders::write_pgpass "$password"
  if orders::pid_alive "$pgdata/postmaster.pid" 2>/dev/null && orders::port_open "$PG_PORT"; then
    orders::log "reusing the running PostgreSQL on 127.0.0.1:$PG_PORT"
    local rules_changed=0
    orders::upgrade_pg_auth "$pgdata" && rules_changed=1
    # Superuser steps first: until the new rules are loaded, the old ones still let postgres in.
    orders::pg_provision "$password" && { ((!rules_changed)) || orders::pg_admin -c "SELECT pg_reload_conf()" >/dev/null; } ||
      orders::die "could not set up the orders role on the running PostgreSQL on $PG_PORT; stop it, or move $pgdata away to start afresh"
    return 0
  fi
  orders::port_open "$PG_PORT" && orders::die "port $PG_PORT is taken by something else (set PG_PORT)"
  id postgres >/dev/null 2>&1 || orders::die "the postgres OS user is missing (is the postgresql package installed?)"
  chown postgres:postgres "$sockets"
  touch "$log" && chown postgres:postgres "$log"
  if [[ ! -f $pgdata/PG_VERSION ]]; then
    orders::log "creating the PostgreSQL cluster"
    mkdir -p "$pgdata" && chown postgres:postgres "$pgdata" && chmod 700 "$pgdata"
    orders::pg_as_postgres "$PG_BIN/initdb" -D "$pgdata" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
      --encoding=UTF8 --no-sync >"$ORDERS_DATA/logs/initdb.log" 2>&1 ||
      { cat "$ORDERS_DATA/logs/initdb.log" >&2; orders::die "initdb failed"; }
    # Local development and test settings: loopback only, password auth, no fsync (a crashed *process*
    # loses nothing; only an OS crash could).
    cat >>"$pgdata/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$sockets'
unix_socket_permissions = 0700
password_encryption = 'scram-sha-256'
max_connections = 200
fsync = off
full_page_writes = off
shared_buffers = 256MB
CONF
    orders::write_pg_hba "$pgdata/pg_hba.conf"
    chown postgres:postgres "$pgdata/pg_hba.conf"
  else
    orders::upgrade_pg_auth "$pgdata"
  fi
  orders::log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  # -p: PG_PORT wins over the port written into the cluster when it was created (a data folder reused with another PG_PORT).
  orders::pg_as_postgres "$PG_BIN/pg_ctl" -D "$pgdata" -l "$log" -o "-p $PG_PORT" -w -t 60 start >/dev/null ||
    { tail -30 "$log" >&2; orders::die "PostgreSQL did not start"; }
  ORDERS_STARTED+=(postgres)
  orders::pg_provision "$password" ||
    orders::die "could not set up the orders role and database as postgres over $sockets (see $log)"
}

# A data folder from an older run let anyone in over TCP without a password (trust) and made orders a
# superuser. Its pg_hba.conf is replaced (the old one is kept beside it); orders::pg_provision then
# takes superuser away and sets the password. Returns 0 when it changed the rules, 1 when they were
# already ours.
orders::upgrade_pg_auth() {
  local pgdata=$1 hba="$1/pg_hba.conf"
  grep -q '^# Written by infra/lib/common.sh' "$hba" 2>/dev/null && return 1
  orders::log "upgrading the PostgreSQL cluster in $pgdata to password authentication (old rules kept in pg_hba.conf.trust)"
  cp -p "$hba" "$hba.trust" && orders::write_pg_hba "$hba" && chown postgres:postgres "$hba" ||
    orders::die "cannot rewrite $hba; move $pgdata away to start with a fresh cluster"
  grep -q "^password_encryption" "$pgdata/postgresql.conf" ||
    printf "password_encryption = 'scram-sha-256'\n" >>"$pgdata/postgresql.conf"
  return 0
}

# orders::build [CMAKE_ARGS...] [-- TARGET...]: configures $BUILD_DIR (extra cache settings, e.g.
# sanitizers or test tiers) and builds the given targets (all of them when none is given).
# Compiles through ccache (infra/cmake/BuildSpeed.cmake); its hits and misses are added to
# ORDERS_CCACHE_HITS / ORDERS_CCACHE_MISSES for the timing report.
orders::build() {
  local cmake_args=() targets=()
  while (($#)); do
    if [[ $1 == -- ]]; then shift; targets=("$@"); break; fi
    cmake_args+=("$1"); shift
  done
  cmake -S "$ORDERS_ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" "${cmake_args[@]}" >/dev/null ||
    orders::die "cmake configure failed"
  local before
  before="$(orders::ccache_counts)"
  local target_args=()
  ((${#targets[@]})) && target_args=(--target "${targets[@]}")
  cmake --build "$BUILD_DIR" -j"$(nproc)" "${target_args[@]}" || orders::die "build failed"
  orders::record_ccache "$before" "$(orders::ccache_counts)"
}

# orders::ccache_counts: "hits misses" of the ccache in use (0 0 without ccache).
orders::ccache_counts() {
  command -v ccache >/dev/null 2>&1 || { echo "0 0"; return; }
  ccache --print-stats 2>/dev/null | awk -F'\t' '
    $1 == "direct_cache_hit" || $1 == "preprocessed_cache_hit" { hits += $2 }
    $1 == "cache_miss" { misses += $2 }
    END { print hits + 0, misses + 0 }'
}

ORDERS_CCACHE_HITS=0
ORDERS_CCACHE_MISSES=0
orders::record_ccache() {
  local before_hits before_misses after_hits after_misses
  read -r before_hits before_misses <<<"$1"
  read -r after_hits after_misses <<<"$2"
  ORDERS_CCACHE_HITS=$((ORDERS_CCACHE_HITS + after_hits - before_hits))
  ORDERS_CCACHE_MISSES=$((ORDERS_CCACHE_MISSES + after_misses - before_misses))
}

# The three services, all ./infra/run.sh builds.
ORDERS_SERVICE_TARGETS=(command-service projection-service notifier)

# orders::start_service NAME BINARY PORT [NAME=VALUE...]: starts one service in the background (with the
# extra environment) and waits for /readyz.
orders::start_service() {
  local name=$1 binary=$2 port=$3
  shift 3
  local pid_file="$ORDERS_DATA/$name.pid" log="$ORDERS_DATA/logs/$name.log"
  if orders::pid_alive "$pid_file"; then
    orders::log "$name is already running (pid $(head -1 "$pid_file"))"
    return 0
  fi
  orders::port_open "$port" && orders::die "port $port is taken; cannot start $name"
  KAFKA_BROKERS="$KAFKA_BROKERS" DATABASE_URL="$DATABASE_URL" ORDERS_TOPIC="$ORDERS_TOPIC" \
    INVENTORY_TOPIC="$INVENTORY_TOPIC" PORT="$port" \
    env "$@" "$binary" </dev/null >"$log" 2>&1 &
  echo $! >"$pid_file"
  ORDERS_STARTED+=("service:$name")
  orders::wait_for "$name to be ready" 90 curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" ||
    { tail -20 "$log" >&2; orders::die "$name did not become ready"; }
}

# The command service keeps its state store under the data folder, one directory per instance (RocksDB
# refuses a second process on one): a restart replays only the log after its checkpoint.
orders::start_services() {
  orders::start_service command-service "$BUILD_DIR/command-service/command-service" 8080 \
    COMMAND_STATE_DIR="$ORDERS_DATA/command-state/command-service-8080"
  orders::start_service projection-service "$BUILD_DIR/projection-service/projection-service" 8081
  orders::start_service notifier "$BUILD_DIR/notifier/notifier" 8082
}

orders::stop_pid_file() {
  local pid_file=$1 limit=${2:-20} pid
  orders::pid_alive "$pid_file" || { rm -f "$pid_file"; return 0; }
  pid="$(head -1 "$pid_file")"
  kill -TERM "$pid" 2>/dev/null
  local deadline=$((SECONDS + limit))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  rm -f "$pid_file"
}

orders::stop_started() {
  local i item
  for ((i = ${#ORDERS_STARTED[@]} - 1; i >= 0; i--)); do
    item=${ORDERS_STARTED[$i]}
    case $item in
      service:*) orders::log "stopping ${item#service:}"; orders::stop_pid_file "$ORDERS_DATA/${item#service:}.pid" 20 ;;
      kafka) orders::log "stopping Kafka"; orders::stop_pid_file "$ORDERS_DATA/kafka.pid" 30 ;;
      kafka-node:*) orders::log "stopping Kafka node ${item#kafka-node:}"; orders::stop_pid_file "$ORDERS_DATA/${item#kafka-node:}.pid" 30 ;;
      postgres) orders::log "stopping PostgreSQL"
        orders::pg_as_postgres "$PG_BIN/pg_ctl" -D "$ORDERS_DATA/pg" -m fast -w -t 30 stop >/dev/null 2>&1 ;;
    esac
  done
  ORDERS_STARTED=()
}

# ASan + UBSan settings for a build made with ORDERS_SANITIZE=address,undefined, exported so the test
# binaries and the service processes they start all use them. Every report also goes to a file under
# $1 (log_path), so a finding in a service process is seen even when its test passed.
orders::sanitizer_env() {
  local reports=$1 suppressions="$ORDERS_ROOT/infra/sanitizers"
  mkdir -p "$reports"
  export ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=0:strict_init_order=1:abort_on_error=0:log_path=$reports/asan"
  export LSAN_OPTIONS="suppressions=$suppressions/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS="suppressions=$suppressions/ubsan.supp:print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan"
}
