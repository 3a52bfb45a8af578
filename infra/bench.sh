#!/usr/bin/env bash
# Benchmarks the platform against raw baselines, side by side in one run:
#   1. append      POST /orders vs a raw librdkafka producer and a hello-world Pistache endpoint
#   2. projection  replay into PostgreSQL vs COPY-into-staging-plus-upsert (tests/bench/projection_replay_bench);
#      lag         and its live lag (record appended -> its batch committed) at 2,000 events/s (full: also 5,000)
#   3. fan-out     the notifier vs a Node.js `ws` broadcast server, 2,000 subscribers; memory at 150% overload
#   4. end to end  command accepted -> WebSocket update, at 25/50/80% of the measured maximum, and the
#                  highest rate whose p99 stays under 100 ms; CPU seconds per 1,000 commands per process
#   5. limits      the command API with its rate limiter on (staff token, limit never reached) vs off:
#                  throughput, p50, p99 of POST /orders and of GET /orders/{id}
#   6. dispatch    50 couriers (own tokens, WebSocket openDeliveries feed) racing to accept 2,000 orders
#                  as they open (--quick: 300): the maximum accepted/s, then at 50% of it accept and feed
#                  latency p50/p99 and exactly one winner per order, verified
#   7. workflow    orders placed -> `confirmed` on a WebSocket, the fulfilment workflow on (payment simulator
#                  at 0 ms, half the products tracked): the maximum (closed loop), then placed -> confirmed
#                  p50/p99/p99.9 at 50% of it; baseline: orders placed -> their first update with
#                  WORKFLOW=off, at its maximum; CPU per order of every process, RSS of the services
#   8. webhooks    signed webhook deliveries to a local receiver (tests/bench/webhook_load.cpp): the rate at
#                  which a burst appended straight to the topic (the notifier paused meanwhile) drains to one endpoint, alone and beside an
#                  endpoint that never answers; append -> receipt p50/p99 at a paced rate of orders placed
#                  through the command API; baseline: plain signed POSTs to the same kind of receiver
#   9. connections one notifier holding as many WebSockets as its descriptor limit allows (--quick: 4,000),
#                  each subscribed to its own customer, from 4 client processes on 8 loopback source addresses:
#                  RSS per connection, time to accept the ramp, CPU while refused clients retry, fan-out of
#                  10 events/s to all of them (`all`), a reconnect storm (all dropped, back within 5 s; about
#                  200 sample clients spread over the ramp resume their order with sinceVersion and record
#                  every message, which the invariant checker's subscriber check compares with the topic:
#                  a gap or a duplicate fails the phase); baseline: the Node.js `ws` server holding the same
#                  number of connections (RSS per connection)
# Load generators call with a `service` token (ORDERS_TOKEN, minted below), which the default limits
# leave unlimited; phases 1-4 also run with RATE_LIMIT=off, so they measure the pipeline alone. Phases 1-6 run
# the command service with WORKFLOW=off: they measure placement and hand-made moves, not the workflow.
# Baseline and ours alternate (--pairs, default 3) and medians are reported.
#
#   ./infra/bench.sh [--quick] [--pairs N] [--phases append,projection,lag,fanout,e2e,limits,dispatch,workflow,webhooks,connections] [--no-build] [--record]
#   (opt-in phases, never in the default list: reports, scaleout, failover, startup — see bench::reports,
#   bench::scaleout, bench::failover and bench::startup; scaleout and failover start extra processes, failover a
#   three-node Kafka cluster on KAFKA_PORT + 10 .. + 15)
#   ./infra/bench.sh --record-from DIR
#   ./infra/bench.sh --profile-memory [--no-build]   (see bench::connections_profile; records nothing)
#
# Builds in Release (build-release/), starts Kafka and PostgreSQL like test.sh, prints a table and
# writes bench-results.json (every figure), bench-results.txt (the table) and e2e-latency.svg into
# $BENCH_RESULTS (default build-release/bench-results/, untracked). A run changes no tracked file
# unless told to:
#   --record            afterwards, copy the three files into docs/benchmarks/ and regenerate
#                       docs/benchmarks.md from them (tests/bench/report.py markdown); with --phases
#                       naming only some phases, only theirs are replaced (report.py merge)
#   --record-from DIR   only that, from the results of an earlier run in DIR; runs nothing else
set -uo pipefail
# --profile-memory profiles a build with debug information (the test build, build/, RelWithDebInfo), so
# heaptrack can name inlined frames; it is looked for before the build folder is chosen.
PROFILE_MEMORY=0
for arg in "$@"; do [[ $arg == --profile-memory ]] && PROFILE_MEMORY=1; done
if ((PROFILE_MEMORY)); then
  BUILD_DIR="${BUILD_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build}"
  BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}"
fi
BUILD_DIR="${BUILD_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build-release}"
BUILD_TYPE="${BUILD_TYPE:-Release}"
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# bench::record_docs DIR [merge]: the results in DIR become docs/benchmarks/ and docs/benchmarks.md.
# With `merge` (a run of some phases only), its phases replace theirs in docs/benchmarks/bench-results.json
# and the rest of the page stays from its own run.
bench::record_docs() {
  local from=$1 docs="$ORDERS_ROOT/docs/benchmarks" name
  [[ -f $from/bench-results.json ]] || orders::die "no bench-results.json in $from"
  mkdir -p "$docs"
  if [[ ${2:-} == merge ]]; then
    python3 "$ORDERS_ROOT/tests/bench/report.py" merge "$from" "$docs" || orders::die "could not merge the results"
    python3 "$ORDERS_ROOT/tests/bench/report.py" markdown "$docs" "$ORDERS_ROOT/docs/benchmarks.md" ||
      orders::die "could not write docs/benchmarks.md"
    orders::log "recorded the phases of $from into docs/benchmarks.md and docs/benchmarks/bench-results.json"
    return 0
  fi
  for name in bench-results.json bench-results.txt e2e-latency.svg; do
    if [[ -f $from/$name ]]; then
      [[ $from/$name -ef $docs/$name ]] || cp "$from/$name" "$docs/$name"
    else
      rm -f "$docs/$name"  # not from an earlier run
    fi
  done
  python3 "$ORDERS_ROOT/tests/bench/report.py" markdown "$docs" "$ORDERS_ROOT/docs/benchmarks.md" ||
    orders::die "could not write docs/benchmarks.md"
  orders::log "recorded: docs/benchmarks.md and docs/benchmarks/ (from $from)"
}

ALL_PHASES="append,projection,lag,fanout,e2e,limits,dispatch,workflow,webhooks,connections"
QUICK=0 PAIRS=3 PHASES="$ALL_PHASES" BUILD=1 RECORD=0
while (($#)); do
  case $1 in
    --quick) QUICK=1; PAIRS=1 ;;
    --pairs) PAIRS=$2; shift ;;
    --phases) PHASES=$2; shift ;;
    --no-build) BUILD=0 ;;
    --record) RECORD=1 ;;
    --record-from) bench::record_docs "${2:?--record-from needs a directory}"; exit 0 ;;
    --profile-memory) ;;  # read above
    *) orders::die "unknown option $1 (see the header of infra/bench.sh)" ;;
  esac
  shift
done
if ((QUICK)); then
  RUN_SECONDS=3 EVENTS=100000 LAG_SECONDS=10 LAG_RATES="2000" DISPATCH_ORDERS=300 WEBHOOK_BURST_SECONDS=1
  FAILOVER_SECONDS=30 FAILOVER_KILL_AFTER=10
else
  RUN_SECONDS=10 EVENTS=1000000 LAG_SECONDS=30 LAG_RATES="2000 5000" DISPATCH_ORDERS=2000 WEBHOOK_BURST_SECONDS=2
  FAILOVER_SECONDS=60 FAILOVER_KILL_AFTER=20
fi
# The failover phase's steady load, POST /orders per second (FAILOVER_RATE overrides).
FAILOVER_RATE=${FAILOVER_RATE:-200}
# The webhooks phase's bursts are what the producer appends in WEBHOOK_BURST_SECONDS, so their size follows
# the machine's load; WEBHOOK_BURST_RECORDS=N makes each burst exactly N records (comparable runs).
# Orders per second placed in the webhooks phase's latency runs (WEBHOOK_PACED_RATE overrides).
WEBHOOK_PACED_RATE=${WEBHOOK_PACED_RATE:-500}

RESULTS="${BENCH_RESULTS:-$BUILD_DIR/bench-results}"
RUN_DIR="$ORDERS_DATA/bench/$(date +%Y%m%d-%H%M%S)"
TOOLS="$BUILD_DIR/tests/bench"
mkdir -p "$RESULTS" "$RUN_DIR"
BENCH_PIDS=()

trap 'bench::stop_all; bench::drop_topics; orders::stop_started' EXIT
trap 'exit 130' INT TERM
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

bench::phase() { [[ ",$PHASES," == *",$1,"* ]]; }

# bench::start NAME LOGFILE COMMAND...: starts a process in the background and remembers it.
bench::start() {
  local name=$1 log=$2
  shift 2
  "$@" </dev/null >"$log" 2>&1 &
  BENCH_PIDS+=("$!")
  eval "PID_${name//-/_}=$!"
}

bench::stop() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
}

bench::stop_all() { local pid; for pid in "${BENCH_PIDS[@]}"; do bench::stop "$pid"; done; BENCH_PIDS=(); }

# The topics of this run (all named bench-<phase>-<pid>) are deleted at the end.
bench::drop_topics() {
  orders::port_open "$KAFKA_PORT" && orders::kafka_topics --delete --topic "bench-.*-$$" >/dev/null 2>&1 || true
}

bench::wait_ready() {
  orders::wait_for "$1" 120 curl -fs -o /dev/null "http://127.0.0.1:$2/readyz" || orders::die "$1 did not become ready"
}

# The port a process started with port 0 reports in its log line {"msg":"listening","port":N}.
bench::port_of() {
  local log=$1 port=""
  for _ in $(seq 1 200); do
    port=$(grep -o '"msg":"listening"[^}]*"port":[0-9]*\|"port":[0-9]*[^}]*"msg":"listening"' "$log" 2>/dev/null |
      grep -o '"port":[0-9]*' | head -1 | cut -d: -f2)
    [[ -n $port ]] && { echo "$port"; return 0; }
    sleep 0.1
  done
  orders::die "no listening port in $log"
}

# bench::cpu_fields FIELDS PID...: CPU seconds used so far by the pids, summing the given fields of
# /proc/PID/stat (an awk expression: $14 user time, $15 system time).
bench::cpu_fields() {
  local fields=$1 ticks total=0 pid
  shift
  ticks=$(getconf CLK_TCK)
  for pid in "$@"; do
    [[ -r /proc/$pid/stat ]] || continue
    total=$((total + $(awk "{print $fields}" "/proc/$pid/stat")))
  done
  awk -v t="$total" -v hz="$ticks" 'BEGIN { printf "%.3f", t / hz }'
}
# CPU seconds (user + system) used so far by the given pids.
bench::cpu() { bench::cpu_fields '$14 + $15' "$@"; }
# The part of bench::cpu spent in the kernel (system time).
bench::cpu_kernel() { bench::cpu_fields '$15' "$@"; }

bench::rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# The PostgreSQL of $ORDERS_DATA only (its postmaster and backends), not another cluster on the machine.
bench::own_postgres_pids() {
  local postmaster
  postmaster=$(head -1 "$ORDERS_DATA/pg/postmaster.pid" 2>/dev/null) || return 0
  echo "$postmaster $(pgrep -P "$postmaster" | tr '\n' ' ')"
}
bench::kafka_pid() { head -1 "$ORDERS_DATA/kafka.pid"; }

# bench::record FILE KEY=VALUE...: adds fields to a JSON result file.
bench::record() {
  local file=$1
  shift
  python3 - "$file" "$@" <<'PY'
import json, sys
path = sys.argv[1]
data = json.load(open(path))
for pair in sys.argv[2:]:
    key, value = pair.split("=", 1)
    try:
        data[key] = json.loads(value)
    except ValueError:
        data[key] = value
json.dump(data, open(path, "w"), indent=2)
PY
}

# ---------------------------------------------------------------------------------------------
bench::append() {
  orders::log "phase 1: append (command service vs raw produce vs hello-world Pistache), $PAIRS pair(s)"
  local topic="bench-append-$$" port hello_port i
  orders::create_topic "$topic" 6
  bench::start command "$RUN_DIR/command.log" env RATE_LIMIT=off WORKFLOW=off ORDERS_TOPIC="$topic" PORT=0 KAFKA_BROKERS="$KAFKA_BROKERS" \
    LOG_LEVEL=info CONSUMER_GROUP="bench-$$" "$BUILD_DIR/command-service/command-service"
  port=$(bench::port_of "$RUN_DIR/command.log")
  bench::wait_ready command-service "$port"
  bench::start hello "$RUN_DIR/hello.log" "$TOOLS/orders_hello_pistache" 0
  hello_port=$(bench::port_of "$RUN_DIR/hello.log")
  for i in $(seq 1 "$PAIRS"); do
    "$TOOLS/orders_kafka_load" --mode raw --topic "$topic" --in-flight 64 --duration "$RUN_SECONDS" \
      --label raw-produce --json "$RUN_DIR/append-raw-$i.json" >/dev/null
    local before after
    before=$(bench::cpu "$PID_command")
    "$TOOLS/orders_http_load" --port $port --connections 64 --duration "$RUN_SECONDS" --request post-order \
      --label command --json "$RUN_DIR/append-command-$i.json" >/dev/null
    after=$(bench::cpu "$PID_command")
    bench::record "$RUN_DIR/append-command-$i.json" "cpu_seconds=$(awk -v a="$after" -v b="$before" 'BEGIN{print a-b}')"
    "$TOOLS/orders_http_load" --port $hello_port --connections 64 --duration "$RUN_SECONDS" --request post-order \
      --label hello --json "$RUN_DIR/append-hello-$i.json" >/dev/null
  done
  bench::stop_all
}

bench::projection() {
  orders::log "phase 2: projection replay of $EVENTS events vs COPY + upsert, $PAIRS pair(s)"
  if [[ ! -x $TOOLS/projection_replay_bench ]]; then
    orders::log "projection_replay_bench is not built; skipping"
    return 0
  fi
  # The bench checkpoints before every run (so neither run pays for the other's dirty pages); the orders
  # role is no superuser and needs this role for that.
  orders::pg_admin -c "GRANT pg_checkpoint TO orders" >/dev/null || orders::die "cannot let orders checkpoint"
  KAFKA_BROKERS="$KAFKA_BROKERS" DATABASE_URL="$DATABASE_URL" "$TOOLS/projection_replay_bench" \
    --events "$EVENTS" --pairs "$PAIRS" --json "$RUN_DIR/projection.json" | tee "$RUN_DIR/projection.txt" | tail -5
}

# Live lag: the projection follows a paced stream of status changes (orders_kafka_load feed); its
# projection_apply_lag_seconds histogram (record timestamp -> commit) is read before and after.
bench::projection_lag() {
  local topic="bench-lag-$$" schema="bench_lag_$$" port rate label placed before after pg_before pg_after
  orders::create_topic "$topic" 6
  bench::start projection "$RUN_DIR/lag-projection.log" env RATE_LIMIT=off ORDERS_TOPIC="$topic" PORT=0 \
    KAFKA_BROKERS="$KAFKA_BROKERS" DATABASE_URL="$DATABASE_URL" READ_MODEL_SCHEMA="$schema" \
    CONSUMER_GROUP="bench-lag-$$" LOG_LEVEL=info "$BUILD_DIR/projection-service/projection-service"
  port=$(bench::port_of "$RUN_DIR/lag-projection.log")
  bench::wait_ready projection-service "$port"
  for rate in $LAG_RATES; do
    label="lag-$rate" placed="$RUN_DIR/lag-$rate.placed"
    orders::log "projection live lag at $rate events/s for $LAG_SECONDS s"
    "$TOOLS/orders_kafka_load" --mode feed --topic "$topic" --rate "$rate" --duration "$LAG_SECONDS" --orders 1000 \
      --settle 3 --placed-file "$placed" --json "$RUN_DIR/$label-feed.json" >/dev/null &
    local feed=$!
    orders::wait_for "placements" 60 test -f "$placed" || orders::die "the feed did not place its orders"
    sleep 2  # the placements are applied; the paced stream starts a second later
    curl -fs "http://127.0.0.1:$port/metrics" >"$RUN_DIR/$label-before.prom"
    before=$(bench::cpu "$PID_projection") pg_before=$(bench::cpu $(bench::own_postgres_pids))
    wait "$feed"
    sleep 1
    after=$(bench::cpu "$PID_projection") pg_after=$(bench::cpu $(bench::own_postgres_pids))
    curl -fs "http://127.0.0.1:$port/metrics" >"$RUN_DIR/$label-after.prom"
    python3 "$ORDERS_ROOT/tests/bench/report.py" lag "$RUN_DIR" "$label" "$rate" \
      "$(awk -v a="$after" -v b="$before" 'BEGIN{print a-b}')" "$(awk -v a="$pg_after" -v b="$pg_before" 'BEGIN{print a-b}')"
  done
  bench::stop_all
  psql "$DATABASE_URL" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
}

# One fan-out run: SERVER (notifier|node) PORT RATE LABEL TOPIC PID [STALLED]; the swarm and the feed
# run side by side.
bench::fanout_run() {
  local server=$1 port=$2 rate=$3 label=$4 topic=${5:-} pid=$6 stalled=${7:-0}
  local ready="$RUN_DIR/$label.ready" before after kernel_before rss_before
  rm -f "$ready"
  rss_before=$(bench::rss_kb "$pid")
  before=$(bench::cpu "$pid")
  kernel_before=$(bench::cpu_kernel "$pid")
  if [[ $server == node ]]; then
    "$TOOLS/orders_ws_swarm" --port "$port" --clients 2000 --duration "$RUN_SECONDS" --publish-rate "$rate" \
      --label "$label" --json "$RUN_DIR/$label.json" >/dev/null 2>"$RUN_DIR/$label.err"
  else
    "$TOOLS/orders_ws_swarm" --port "$port" --clients 2000 --stalled "$stalled" --duration $((RUN_SECONDS + 3)) \
      --ready-file "$ready" --label "$label" --json "$RUN_DIR/$label.json" >/dev/null 2>"$RUN_DIR/$label.err" &
    local swarm=$!
    orders::wait_for "subscribers" 60 test -f "$ready" || orders::die "the subscriber swarm did not connect"
    "$TOOLS/orders_kafka_load" --mode feed --topic "$topic" --rate "$rate" --duration "$RUN_SECONDS" --orders 200 \
      >/dev/null
    wait "$swarm"
  fi
  after=$(bench::cpu "$pid")
  bench::record "$RUN_DIR/$label.json" "server=$server" "offered_events_per_s=$rate" \
    "cpu_seconds=$(awk -v a="$after" -v b="$before" 'BEGIN{print a-b}')" \
    "cpu_kernel_seconds=$(awk -v a="$(bench::cpu_kernel "$pid")" -v b="$kernel_before" 'BEGIN{print a-b}')" \
    "rss_kb_before=$rss_before" "rss_kb_after=$(bench::rss_kb "$pid")"
}

bench::fanout() {
  orders::log "phase 3: fan-out to 2,000 subscribers, notifier vs Node.js ws, $PAIRS pair(s)"
  (cd "$ORDERS_ROOT/tests/bench/node" && [[ -d node_modules/ws ]] || npm ci --no-audit --no-fund --silent) ||
    orders::die "npm could not install ws"
  local topic="bench-fanout-$$" port node_port rate i rates
  orders::create_topic "$topic" 6
  bench::start notifier "$RUN_DIR/notifier.log" env RATE_LIMIT=off ORDERS_TOPIC="$topic" PORT=0 KAFKA_BROKERS="$KAFKA_BROKERS" \
    LOG_LEVEL=info "$BUILD_DIR/notifier/notifier"
  port=$(bench::port_of "$RUN_DIR/notifier.log")
  bench::wait_ready notifier "$port"
  bench::start node "$RUN_DIR/node.log" node "$ORDERS_ROOT/tests/bench/node/broadcast.mjs" 0
  node_port=$(bench::port_of "$RUN_DIR/node.log")
  if ((QUICK)); then rates="25 100"; else rates="25 50 100 150"; fi
  for i in $(seq 1 "$PAIRS"); do
    for rate in $rates; do
      bench::fanout_run node $node_port "$rate" "fanout-node-$rate-$i" "" "$PID_node"
      bench::fanout_run notifier $port "$rate" "fanout-notifier-$rate-$i" "$topic" "$PID_notifier"
    done
  done
  # The same load with 50 subscribers that never read: the others' latency must not suffer.
  bench::fanout_run notifier $port 25 "fanout-stalled" "$topic" "$PID_notifier" 50
  bench::record "$RUN_DIR/fanout-stalled.json" \
    "slow_closed_total=$(curl -fs "http://127.0.0.1:$port/metrics" | awk '/^orders_notifier_slow_clients_closed_total/ {print $2}')"
  # Memory at 150% of the highest rate the notifier sustained (p99 < 250 ms, nothing lost).
  local sustained overload
  sustained=$(python3 "$ORDERS_ROOT/tests/bench/report.py" sustained-rate "$RUN_DIR" notifier)
  overload=$(awk -v r="$sustained" 'BEGIN { printf "%d", r * 1.5 }')
  orders::log "overload run at $overload events/s (150% of $sustained)"
  (while kill -0 "$PID_notifier" 2>/dev/null; do echo "$(date +%s.%N) $(bench::rss_kb "$PID_notifier")"; sleep 0.5; done) \
    >"$RUN_DIR/overload-rss.txt" &
  local sampler=$!
  bench::fanout_run notifier $port "$overload" "fanout-overload" "$topic" "$PID_notifier"
  kill "$sampler" 2>/dev/null
  bench::record "$RUN_DIR/fanout-overload.json" \
    "protocol_closes=$(curl -fs "http://127.0.0.1:$port/metrics" | awk '/^orders_notifier_slow_clients_closed_total/ {print $2}')"
  bench::stop_all
}

bench::e2e() {
  orders::log "phase 4: end to end, command accepted -> WebSocket update"
  local topic="bench-e2e-$$" cport pport nport schema="bench_e2e_$$"
  orders::create_topic "$topic" 6
  bench::start command "$RUN_DIR/e2e-command.log" env RATE_LIMIT=off WORKFLOW=off ORDERS_TOPIC="$topic" PORT=0 KAFKA_BROKERS="$KAFKA_BROKERS" \
    LOG_LEVEL=info CONSUMER_GROUP="bench-e2e-$$" "$BUILD_DIR/command-service/command-service"
  bench::start projection "$RUN_DIR/e2e-projection.log" env RATE_LIMIT=off ORDERS_TOPIC="$topic" PORT=0 \
    KAFKA_BROKERS="$KAFKA_BROKERS" DATABASE_URL="$DATABASE_URL" READ_MODEL_SCHEMA="$schema" \
    CONSUMER_GROUP="bench-e2e-projection-$$" LOG_LEVEL=info "$BUILD_DIR/projection-service/projection-service"
  bench::start notifier "$RUN_DIR/e2e-notifier.log" env RATE_LIMIT=off ORDERS_TOPIC="$topic" PORT=0 KAFKA_BROKERS="$KAFKA_BROKERS" \
    LOG_LEVEL=info "$BUILD_DIR/notifier/notifier"
  cport=$(bench::port_of "$RUN_DIR/e2e-command.log")
  pport=$(bench::port_of "$RUN_DIR/e2e-projection.log")
  nport=$(bench::port_of "$RUN_DIR/e2e-notifier.log")
  bench::wait_ready command-service "$cport"
  bench::wait_ready projection-service "$pport"
  bench::wait_ready notifier "$nport"

  # The maximum: closed loop, 64 connections.
  "$TOOLS/orders_http_load" --port $cport --connections 64 --duration "$RUN_SECONDS" --request status-walk \
    --orders $((RUN_SECONDS * 4000)) --label e2e-max --json "$RUN_DIR/e2e-max.json" >/dev/null 2>"$RUN_DIR/e2e-max.err"
  local max
  max=$(python3 -c "import json; print(int(json.load(open('$RUN_DIR/e2e-max.json'))['throughput_per_s']))")
  orders::log "maximum: $max status changes/s (closed loop)"
  ((max > 0)) || { cat "$RUN_DIR/e2e-max.err" >&2; orders::die "the closed-loop run completed nothing"; }

  # bench::e2e_run PERCENT RATE: one open-loop run with 4 subscribers timing command -> update.
  bench::e2e_run() {
    local label="e2e-$1" rate=$2 ready="$RUN_DIR/e2e-$1.ready" pids cpu_before cpu_after
    rm -f "$ready"
    "$TOOLS/orders_ws_swarm" --port $nport --clients 4 --duration $((RUN_SECONDS + 6)) --ready-file "$ready" \
      --label "$label-ws" --json "$RUN_DIR/$label-ws.json" >/dev/null 2>&1 &
    local swarm=$!
    orders::wait_for "subscribers" 30 test -f "$ready"
    pids="$PID_command $PID_projection $PID_notifier $(bench::kafka_pid) $(bench::own_postgres_pids)"
    declare -A cpu_before_of
    local pid
    for pid in $pids; do cpu_before_of[$pid]=$(bench::cpu "$pid"); done
    "$TOOLS/orders_http_load" --port $cport --connections 64 --duration "$RUN_SECONDS" --rate "$rate" \
      --request status-walk --orders $((rate * RUN_SECONDS / 5 + 200)) --label "$label-http" \
      --json "$RUN_DIR/$label-http.json" >/dev/null 2>"$RUN_DIR/$label-http.err"
    local cpu_json="{" name group
    for group in command:$PID_command projection:$PID_projection notifier:$PID_notifier kafka:$(bench::kafka_pid); do
      name=${group%%:*} pid=${group#*:}
      cpu_json+="\"$name\": $(awk -v a="$(bench::cpu "$pid")" -v b="${cpu_before_of[$pid]}" 'BEGIN{print a-b}'),"
    done
    local pg_total=0
    for pid in $(bench::own_postgres_pids); do
      [[ -n ${cpu_before_of[$pid]:-} ]] || continue
      pg_total=$(awk -v t="$pg_total" -v a="$(bench::cpu "$pid")" -v b="${cpu_before_of[$pid]}" 'BEGIN{print t+a-b}')
    done
    cpu_json+="\"postgres\": $pg_total}"
    wait "$swarm"
    bench::record "$RUN_DIR/$label-http.json" "percent=$1" "cpu_seconds_by_process=$cpu_json"
  }
  local percent
  for percent in 25 50 80; do
    bench::e2e_run "$percent" $((max * percent / 100))
  done
  # The highest rate whose end-to-end p99 stays under 100 ms: upward from 80% while it holds, else
  # between 50% and 80%.
  local steps="90 100 110 120"
  python3 "$ORDERS_ROOT/tests/bench/report.py" e2e-ok "$RUN_DIR" 80 || steps="60 70"
  for percent in $steps; do
    bench::e2e_run "$percent" $((max * percent / 100))
    python3 "$ORDERS_ROOT/tests/bench/report.py" e2e-ok "$RUN_DIR" "$percent" || break
  done
  bench::stop_all
  psql "$DATABASE_URL" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
}

# ---------------------------------------------------------------------------------------------
# bench::hs256_token SECRET ROLE SUB: an HS256 token valid for a day.
bench::hs256_token() {
  python3 - "$@" <<'PY'
import base64, hashlib, hmac, json, sys, time
secret, role, sub = sys.argv[1:4]
b64 = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=")
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
body = b64(json.dumps({"sub": sub, "role": role, "exp": int(time.time()) + 86400}).encode())
signature = b64(hmac.new(secret.encode(), head + b"." + body, hashlib.sha256).digest())
print((head + b"." + body + b"." + signature).decode())
PY
}

# bench::place_order PORT TOKEN: places one order and prints its id.
bench::place_order() {
  curl -fs -X POST -H "Authorization: Bearer $2" -H 'Content-Type: application/json' \
    -d '{"customerId":"bench","items":[{"productId":"sku-1","quantity":1,"unitPriceCents":100}]}' \
    "http://127.0.0.1:$1/orders" | python3 -c 'import json, sys; print(json.load(sys.stdin)["orderId"])'
}

bench::limits() {
  orders::log "phase 5: command API with rate limits on vs off, $PAIRS pair(s)"
  local secret="bench-secret-of-at-least-32-characters-$$" token on_port off_port i state port request
  token=$(bench::hs256_token "$secret" staff bench-load)
  # Two instances on their own topics, measured in turn: limits on (a staff limit so high it is never
  # reached, so every request runs the limiter's whole path) and limits off.
  orders::create_topic "bench-limits-on-$$" 6
  orders::create_topic "bench-limits-off-$$" 6
  bench::start limits_on "$RUN_DIR/limits-on.log" env RATE_LIMIT=on WORKFLOW=off RATE_LIMIT_STAFF=1000000000/1000000000 \
    JWT_SECRET="$secret" ORDERS_TOPIC="bench-limits-on-$$" PORT=0 KAFKA_BROKERS="$KAFKA_BROKERS" LOG_LEVEL=info \
    CONSUMER_GROUP="bench-limits-on-$$" "$BUILD_DIR/command-service/command-service"
  bench::start limits_off "$RUN_DIR/limits-off.log" env RATE_LIMIT=off WORKFLOW=off \
    JWT_SECRET="$secret" ORDERS_TOPIC="bench-limits-off-$$" PORT=0 KAFKA_BROKERS="$KAFKA_BROKERS" LOG_LEVEL=info \
    CONSUMER_GROUP="bench-limits-off-$$" "$BUILD_DIR/command-service/command-service"
  on_port=$(bench::port_of "$RUN_DIR/limits-on.log")
  off_port=$(bench::port_of "$RUN_DIR/limits-off.log")
  bench::wait_ready "command-service (limits on)" "$on_port"
  bench::wait_ready "command-service (limits off)" "$off_port"
  # GET /orders/{id} of an order each instance holds: the cheap path, where the limiter's share is largest.
  local on_order off_order
  on_order=$(bench::place_order "$on_port" "$token")
  off_order=$(bench::place_order "$off_port" "$token")
  for i in $(seq 1 "$PAIRS"); do
    for request in post-order get-order; do
      for state in on off; do
        port=$on_port
        [[ $state == off ]] && port=$off_port
        local kind=$request
        if [[ $request == get-order ]]; then
          kind="get:/orders/$on_order"
          [[ $state == off ]] && kind="get:/orders/$off_order"
        fi
        ORDERS_TOKEN="$token" "$TOOLS/orders_http_load" --port "$port" --connections 64 --duration "$RUN_SECONDS" \
          --request "$kind" --label "limits-$state-$request" --json "$RUN_DIR/limits-$state-$request-$i.json" >/dev/null
      done
    done
  done
  bench::stop_all
}

bench::dispatch() {
  orders::log "phase 6: dispatch, 50 couriers racing to accept $DISPATCH_ORDERS orders as they open"
  local topic="bench-dispatch-$$" cport nport max half
  orders::create_topic "$topic" 6
  bench::start command "$RUN_DIR/dispatch-command.log" env RATE_LIMIT=off WORKFLOW=off ORDERS_TOPIC="$topic" PORT=0 \
    KAFKA_BROKERS="$KAFKA_BROKERS" LOG_LEVEL=info CONSUMER_GROUP="bench-dispatch-$$" "$BUILD_DIR/command-service/command-service"
  cport=$(bench::port_of "$RUN_DIR/dispatch-command.log")
  bench::start notifier "$RUN_DIR/dispatch-notifier.log" env RATE_LIMIT=off ORDERS_TOPIC="$topic" PORT=0 \
    KAFKA_BROKERS="$KAFKA_BROKERS" COMMAND_API_URL="http://127.0.0.1:$cport" LOG_LEVEL=info "$BUILD_DIR/notifier/notifier"
  nport=$(bench::port_of "$RUN_DIR/dispatch-notifier.log")
  bench::wait_ready command-service "$cport"
  bench::wait_ready notifier "$nport"
  # The couriers' tokens are signed with the services' JWT_SECRET; staff confirms with ORDERS_TOKEN.
  local dispatch=("$TOOLS/orders_dispatch_load" --command-port "$cport" --notifier-port "$nport" --couriers 50
    --orders "$DISPATCH_ORDERS" --accept-via "${DISPATCH_ACCEPT_VIA:-rest}")
  "${dispatch[@]}" --label dispatch-max --json "$RUN_DIR/dispatch-max.json" >/dev/null 2>"$RUN_DIR/dispatch-max.err"
  max=$(python3 -c "import json; print(int(json.load(open('$RUN_DIR/dispatch-max.json')).get('accepted_per_s', 0)))" 2>/dev/null)
  if ((${max:-0} <= 0)); then
    cat "$RUN_DIR/dispatch-max.err" >&2
    orders::log "dispatch: the maximum run accepted nothing; no paced run"
    bench::stop_all
    return 0
  fi
  half=$(((max + 1) / 2))
  orders::log "dispatch: maximum $max accepted orders/s; paced run at $half orders/s"
  "${dispatch[@]}" --rate "$half" --label dispatch-50 --json "$RUN_DIR/dispatch-50.json" >/dev/null \
    2>"$RUN_DIR/dispatch-50.err"
  bench::stop_all
}

# ---------------------------------------------------------------------------------------------
# bench::cpu_by_process NAME:PID...: {"NAME": CPU seconds so far, ..., "postgres": {"PID": seconds, ...}}
# with every process of this data folder's PostgreSQL by pid: backends come and go (autovacuum), so
# report.py counts only those alive before and after a run.
bench::cpu_by_process() {
  local json="{" group pid
  for group in "$@"; do json+="\"${group%%:*}\": $(bench::cpu "${group#*:}"),"; done
  json+="\"postgres\": {"
  for pid in $(bench::own_postgres_pids); do json+="\"$pid\": $(bench::cpu "$pid"),"; done
  echo "${json%,}}}"
}

# bench::idle_cores PID...: the cores the processes use together over 2 s (idle services still poll Kafka).
bench::idle_cores() {
  local before after
  before=$(bench::cpu "$@")
  sleep 2
  after=$(bench::cpu "$@")
  awk -v a="$after" -v b="$before" 'BEGIN { printf "%.3f", (a - b) / 2 }'
}

# bench::settle PID...: waits (at most 30 s) until the processes together use at most 5% of a core more
# than they do idle (SETTLE_IDLE_CORES, measured once the stacks are up), so a run does not pay for the
# backlog of the one before (a projection still writing, a workflow finishing).
bench::settle() {
  local before after
  for _ in $(seq 1 60); do
    before=$(bench::cpu "$@")
    sleep 0.5
    after=$(bench::cpu "$@")
    awk -v a="$after" -v b="$before" -v idle="${SETTLE_IDLE_CORES:-0}" 'BEGIN { exit !((a - b) / 0.5 < idle + 0.05) }' &&
      return 0
  done
  orders::log "workflow: the services were still busy after 30 s; measuring anyway"
}

# bench::workflow_stack NAME WORKFLOW: a command service (WORKFLOW=on|off, payment simulator at 0 ms),
# projection and notifier on their own topics and schema; sets PORT_<NAME>_command/_notifier and
# PIDS_<NAME> ("command:PID projection:PID notifier:PID").
bench::workflow_stack() {
  local name=$1 workflow=$2 topic="bench-wf-$1-$$" inventory="bench-wf-$1-inventory-$$" schema="bench_wf_$1_$$"
  orders::create_topic "$topic" 6
  orders::create_topic "$inventory" 6
  bench::start "wf_${name}_command" "$RUN_DIR/workflow-$name-command.log" env RATE_LIMIT=off WORKFLOW="$workflow" \
    PAYMENT_GATEWAY=simulator PAYMENT_SIMULATOR_LATENCY_MS=0 ORDERS_TOPIC="$topic" INVENTORY_TOPIC="$inventory" \
    PORT=0 KAFKA_BROKERS="$KAFKA_BROKERS" LOG_LEVEL=info CONSUMER_GROUP="bench-wf-$name-$$" \
    "$BUILD_DIR/command-service/command-service"
  bench::start "wf_${name}_projection" "$RUN_DIR/workflow-$name-projection.log" env RATE_LIMIT=off \
    ORDERS_TOPIC="$topic" INVENTORY_TOPIC="$inventory" PORT=0 KAFKA_BROKERS="$KAFKA_BROKERS" DATABASE_URL="$DATABASE_URL" \
    READ_MODEL_SCHEMA="$schema" CONSUMER_GROUP="bench-wf-$name-projection-$$" LOG_LEVEL=info \
    "$BUILD_DIR/projection-service/projection-service"
  bench::start "wf_${name}_notifier" "$RUN_DIR/workflow-$name-notifier.log" env RATE_LIMIT=off ORDERS_TOPIC="$topic" \
    PORT=0 KAFKA_BROKERS="$KAFKA_BROKERS" LOG_LEVEL=info "$BUILD_DIR/notifier/notifier"
  local service port
  for service in command projection notifier; do
    port=$(bench::port_of "$RUN_DIR/workflow-$name-$service.log")
    bench::wait_ready "$service ($name)" "$port"
    eval "PORT_${name}_${service}=$port"
  done
  eval "PIDS_$name=\"command:\$PID_wf_${name}_command projection:\$PID_wf_${name}_projection notifier:\$PID_wf_${name}_notifier\""
}

# bench::workflow_run STACK LABEL TOOL_ARGS...: one run of orders_workflow_load against a stack, with
# the CPU every process used during it and the services' memory afterwards added to its JSON.
bench::workflow_run() {
  local stack=$1 label=$2 groups cpu_before rss="{" group
  shift 2
  eval "groups=\$PIDS_$stack"
  bench::settle "${BENCH_PIDS[@]}"  # both stacks: the other one may still be busy with its last run
  cpu_before=$(bench::cpu_by_process $groups "kafka:$(bench::kafka_pid)")
  "$TOOLS/orders_workflow_load" --command-port "$(eval echo "\$PORT_${stack}_command")" \
    --notifier-port "$(eval echo "\$PORT_${stack}_notifier")" --duration "$RUN_SECONDS" "$@" \
    --label "$label" --json "$RUN_DIR/$label.json" >/dev/null 2>"$RUN_DIR/$label.err" ||
    orders::log "workflow: $label reported a failure (see $RUN_DIR/$label.json)"
  [[ -s $RUN_DIR/$label.json ]] || { cat "$RUN_DIR/$label.err" >&2; orders::die "workflow: $label wrote no result"; }
  for group in $groups; do rss+="\"${group%%:*}\": $(bench::rss_kb "${group#*:}"),"; done
  bench::record "$RUN_DIR/$label.json" "stack=$stack" "cpu_seconds_before=$cpu_before" \
    "cpu_seconds_after=$(bench::cpu_by_process $groups "kafka:$(bench::kafka_pid)")" "rss_kb_after=${rss%,}}"
}

bench::workflow() {
  orders::log "phase 7: workflow, orders placed -> confirmed (WORKFLOW=on) vs placed -> update (WORKFLOW=off), $PAIRS pair(s)"
  # Both stacks run side by side (the idle one costs next to nothing) and the runs alternate.
  bench::workflow_stack off off
  bench::workflow_stack on on
  sleep 3  # past the services' start-up work
  SETTLE_IDLE_CORES=$(bench::idle_cores "${BENCH_PIDS[@]}")
  orders::log "workflow: the idle stacks use $SETTLE_IDLE_CORES of a core"
  local in_flight=${WORKFLOW_IN_FLIGHT:-128} i max half
  for i in $(seq 1 "$PAIRS"); do
    bench::workflow_run off "workflow-off-max-$i" --until placed --in-flight "$in_flight"
    bench::workflow_run on "workflow-on-max-$i" --until confirmed --tracked --in-flight "$in_flight"
  done
  max=$(python3 "$ORDERS_ROOT/tests/bench/report.py" workflow-max "$RUN_DIR")
  if ((${max:-0} <= 0)); then
    orders::log "workflow: the maximum runs confirmed nothing; no paced run"
  else
    half=$(((max + 1) / 2))
    orders::log "workflow: maximum $max confirmed orders/s (median); paced runs at $half orders/s"
    for i in $(seq 1 "$PAIRS"); do
      bench::workflow_run on "workflow-on-50-$i" --until confirmed --tracked --rate "$half"
    done
  fi
  bench::stop_all
  local schema
  for schema in bench_wf_off_$$ bench_wf_on_$$; do
    psql "$DATABASE_URL" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
  done
}

# bench::webhook_drain LABEL TOPIC TOOL_ARGS...: an endpoint (and with --with-hanging a second one that never
# answers) registered by orders_webhook_load --mode receive; once it is ready a burst of order.placed records
# is appended straight to TOPIC (orders_kafka_load --mode raw, faster than webhooks drain), and the tool
# reports when deliveries stopped coming.
bench::webhook_drain() {
  local label=$1 topic=$2 pid
  shift 2
  "$TOOLS/orders_webhook_load" --mode receive --notifier-port "$PORT_wh_notifier" --idle 3 --timeout 300 "$@" \
    --json "$RUN_DIR/$label.json" >"$RUN_DIR/$label.out" 2>"$RUN_DIR/$label.err" &
  pid=$!
  for _ in $(seq 1 100); do grep -q ready "$RUN_DIR/$label.out" 2>/dev/null && break; sleep 0.1; done
  grep -q ready "$RUN_DIR/$label.out" || { cat "$RUN_DIR/$label.err" >&2; orders::die "webhooks: $label did not register"; }
  # The notifier is paused while the burst is appended, so the rate is that of a backlog draining, not the
  # append rate (on 2 cores the feed appends more slowly than the notifier delivers). A pause of seconds is
  # well inside its consumer session.
  kill -STOP "$PID_wh_notifier"
  local size=(--duration "$WEBHOOK_BURST_SECONDS")
  [[ -n ${WEBHOOK_BURST_RECORDS:-} ]] && size=(--records "$WEBHOOK_BURST_RECORDS")
  "$TOOLS/orders_kafka_load" --mode raw --topic "$topic" --in-flight 256 "${size[@]}" \
    --json "$RUN_DIR/$label-feed.json" >/dev/null 2>"$RUN_DIR/$label-feed.err"
  kill -CONT "$PID_wh_notifier"
  wait "$pid" || orders::log "webhooks: $label reported a failure (see $RUN_DIR/$label.err)"
}

bench::webhooks() {
  orders::log "phase 8: webhooks, signed deliveries (burst drain alone and beside a hanging endpoint, paced latency) vs plain signed POSTs, $PAIRS pair(s)"
  local topic="bench-wh-$$" inventory="bench-wh-inventory-$$" schema="bench_wh_$$" i service port
  orders::create_topic "$topic" 6
  orders::create_topic "$inventory" 6
  bench::start wh_command "$RUN_DIR/webhooks-command.log" env RATE_LIMIT=off WORKFLOW=off ORDERS_TOPIC="$topic" \
    INVENTORY_TOPIC="$inventory" PORT=0 KAFKA_BROKERS="$KAFKA_BROKERS" LOG_LEVEL=info CONSUMER_GROUP="bench-wh-$$" \
    "$BUILD_DIR/command-service/command-service"
  # Attempts at the hanging endpoint time out after 2 s (10 s by default) so its retries keep coming.
  bench::start wh_notifier "$RUN_DIR/webhooks-notifier.log" env RATE_LIMIT=off ORDERS_TOPIC="$topic" \
    INVENTORY_TOPIC="$inventory" PORT=0 KAFKA_BROKERS="$KAFKA_BROKERS" DATABASE_URL="$DATABASE_URL" \
    WEBHOOKS=on WEBHOOK_SCHEMA="$schema" WEBHOOK_ALLOW_PRIVATE_TARGETS=true WEBHOOK_TIMEOUT=2s \
    CONSUMER_GROUP="bench-wh-notifier-$$" LOG_LEVEL=info "$BUILD_DIR/notifier/notifier"
  for service in command notifier; do
    port=$(bench::port_of "$RUN_DIR/webhooks-$service.log")
    bench::wait_ready "$service (webhooks)" "$port"
    eval "PORT_wh_${service}=$port"
  done
  for i in $(seq 1 "$PAIRS"); do
    # The paced run goes before the hanging one, whose spilled deliveries keep the notifier busy for a while.
    bench::webhook_drain "webhooks-alone-$i" "$topic"
    "$TOOLS/orders_webhook_load" --mode deliveries --rate "$WEBHOOK_PACED_RATE" --duration "$RUN_SECONDS" \
      --command-port "$PORT_wh_command" --notifier-port "$PORT_wh_notifier" --connections 8 \
      --json "$RUN_DIR/webhooks-paced-$i.json" >/dev/null 2>"$RUN_DIR/webhooks-paced-$i.err" ||
      orders::log "webhooks: paced run $i reported a failure"
    "$TOOLS/orders_webhook_load" --mode baseline --duration "$RUN_SECONDS" --connections 16 \
      --json "$RUN_DIR/webhooks-baseline-$i.json" >/dev/null 2>"$RUN_DIR/webhooks-baseline-$i.err" ||
      orders::log "webhooks: baseline $i reported a failure"
    bench::webhook_drain "webhooks-hanging-$i" "$topic" --with-hanging
  done
  bench::stop_all
  bench::drop_topics
  psql "$DATABASE_URL" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
}

# Phase `reports` (opt-in, not in the default list: seeding takes minutes at full size): a read model of
# REPORT_ORDERS orders (10,000,000; --quick 200,000) over the last 730 days, generated inside PostgreSQL
# (tests/bench/reports_seed.sql) straight into orders and order_history. The summaries are then filled by
# the projection's own code: the summary migration (006) is undone and the service started, so it applies
# it again to a read model with orders, as on an upgrade, summarising every stored event. Then each report
# over random 31-day ranges and the unbounded status counts, one request at a time (tests/bench/reports_bench.py),
# and a streamed CSV export of 1,000,000 orders (--quick: all 200,000): rows/s and the projection's peak RSS.
bench::reports() {
  local orders=${REPORT_ORDERS:-10000000} days=730 requests=200 schema="bench_reports_$$" topic="bench-reports-$$"
  ((QUICK)) && orders=${REPORT_ORDERS:-200000} requests=100
  orders::log "phase reports: $orders orders seeded into PostgreSQL, reports over random 31-day ranges"
  orders::create_topic "$topic" 6
  local service=(env RATE_LIMIT=off ORDERS_TOPIC="$topic" PORT=0 KAFKA_BROKERS="$KAFKA_BROKERS"
    DATABASE_URL="$DATABASE_URL" READ_MODEL_SCHEMA="$schema" CONSUMER_GROUP="bench-reports-$$" LOG_LEVEL=info
    "$BUILD_DIR/projection-service/projection-service")
  bench::start projection "$RUN_DIR/reports-migrate.log" "${service[@]}"
  bench::wait_ready projection-service "$(bench::port_of "$RUN_DIR/reports-migrate.log")"
  bench::stop_all
  local started seeded summarised port seed_seconds summarise_seconds
  started=$(date +%s.%N)
  PGOPTIONS="-c search_path=$schema" psql "$DATABASE_URL" -q -v orders="$orders" -v days="$days" \
    -f "$ORDERS_ROOT/tests/bench/reports_seed.sql" || orders::die "seeding the reports read model failed"
  seeded=$(date +%s.%N)
  PGOPTIONS="-c search_path=$schema" psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -c "DROP TABLE report_status_counts,
    report_daily, report_products, report_couriers, report_cancellations, report_step_minutes;
    DELETE FROM schema_migrations WHERE version = 6" || orders::die "could not undo the summary migration"
  bench::start projection "$RUN_DIR/reports-projection.log" "${service[@]}"
  # It listens once migration 006 has summarised every stored event: minutes at full size.
  until grep -q '"msg":"listening"' "$RUN_DIR/reports-projection.log"; do
    kill -0 "$PID_projection" 2>/dev/null || orders::die "projection-service exited while summarising"
    sleep 1
  done
  port=$(bench::port_of "$RUN_DIR/reports-projection.log")
  bench::wait_ready projection-service "$port"
  summarised=$(date +%s.%N)
  seed_seconds=$(awk -v a="$seeded" -v b="$started" 'BEGIN{printf "%.1f", a-b}')
  summarise_seconds=$(awk -v a="$summarised" -v b="$seeded" 'BEGIN{printf "%.1f", a-b}')
  orders::log "seeded in $seed_seconds s, summarised (migration 006 at startup) in $summarise_seconds s"
  python3 "$ORDERS_ROOT/tests/bench/reports_bench.py" --port "$port" --days "$days" --requests "$requests" \
    --orders "$orders" --csv-rows 1000000 --pid "$PID_projection" \
    --json "$RUN_DIR/reports.json" --field "orders=$orders" --field "seed_seconds=$seed_seconds" \
    --field "summarise_seconds=$summarise_seconds" | tee "$RUN_DIR/reports.txt" ||
    orders::die "the reports benchmark failed"
  bench::stop_all
  psql "$DATABASE_URL" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
}

# ---------------------------------------------------------------------------------------------
# bench::conn_swarms MODE PORT TOTAL CONTROL [SWARM_ARGS...]: starts 4 orders_conn_swarm processes sharing
# TOTAL clients (customers conn-0 .. conn-TOTAL-1), each on two loopback source addresses of its own; sets
# CONN_PIDS.
bench::conn_swarms() {
  local mode=$1 port=$2 total=$3 control=$4 k share first=0 count
  shift 4
  CONN_PIDS=()
  share=$(((total + 3) / 4))
  for k in 0 1 2 3; do
    count=$share
    ((first + count > total)) && count=$((total - first))
    "$TOOLS/orders_conn_swarm" --mode "$mode" --port "$port" --clients "$count" --first "$first" \
      --sources "127.0.0.$((2 + 2 * k)),127.0.0.$((3 + 2 * k))" --control "$control" --label "$mode-$k" \
      --storm-window 5 "$@" --json "$RUN_DIR/connections-$mode-$k.json" >/dev/null 2>"$RUN_DIR/connections-$mode-$k.err" &
    CONN_PIDS+=("$!")
    first=$((first + count))
  done
}

# bench::conn_wait CONTROL SUFFIX MODE SECONDS: waits until every swarm process wrote CONTROL/MODE-k.SUFFIX.
bench::conn_wait() {
  local control=$1 suffix=$2 mode=$3 k
  for k in 0 1 2 3; do
    orders::wait_for "$mode swarm $k: $suffix" "$4" test -f "$control/$mode-$k.$suffix" ||
      { cat "$RUN_DIR"/connections-"$mode"-*.err >&2; orders::die "connections: the $mode swarm did not reach $suffix"; }
  done
}

bench::connections() {
  orders::log "phase 9: connections, one notifier at its connection limit vs Node.js ws holding as many"
  (cd "$ORDERS_ROOT/tests/bench/node" && [[ -d node_modules/ws ]] || npm ci --no-audit --no-fund --silent) ||
    orders::die "npm could not install ws"
  local topic="bench-conn-$$" port node_port limit=() max extra total control="$RUN_DIR/connections-control"
  local rss_before rss_after cpu_before cpu_after feed pid metrics recordings="$RUN_DIR/connections-subscribers"
  orders::create_topic "$topic" 6
  # --quick sets the limit (MAX_CONNECTIONS) instead of deriving it from the descriptor limit.
  ((QUICK)) && limit=(MAX_CONNECTIONS=4000)
  bench::start conn_notifier "$RUN_DIR/connections-notifier.log" env RATE_LIMIT=off WEBHOOKS=off ORDERS_TOPIC="$topic" \
    PORT=0 KAFKA_BROKERS="$KAFKA_BROKERS" LOG_LEVEL=info "${limit[@]}" "$BUILD_DIR/notifier/notifier"
  port=$(bench::port_of "$RUN_DIR/connections-notifier.log")
  bench::wait_ready notifier "$port"
  max=$(grep '"connection limits"' "$RUN_DIR/connections-notifier.log" | grep -o '"max_websockets":[0-9]*' | cut -d: -f2)
  ((${max:-0} > 0)) || orders::die "connections: the notifier logged no connection limits"
  extra=$((QUICK ? 20 : 50))  # past the limit: refused (503) and retrying each second
  total=$((max + extra))
  orders::log "connections: the notifier takes $max WebSockets; $total clients connect"
  mkdir -p "$control" "$recordings"
  rss_before=$(bench::rss_kb "$PID_conn_notifier")
  # About 200 sample clients, every (total / 200)th, so they are spread over the ramp.
  bench::conn_swarms notifier "$port" "$total" "$control" --sample-every $(((total + 199) / 200)) \
    --record "$recordings"
  bench::conn_wait "$control" ramped notifier 600
  sleep 2
  rss_after=$(bench::rss_kb "$PID_conn_notifier")
  metrics=$(curl -fs "http://127.0.0.1:$port/metrics")
  cpu_before=$(bench::cpu "$PID_conn_notifier")
  sleep 3  # idle but for the refused clients' retries
  cpu_after=$(bench::cpu "$PID_conn_notifier")
  # Ten orders walked through their lifecycle at 10 events/s: each changes about once a second.
  "$TOOLS/orders_kafka_load" --mode feed --topic "$topic" --rate 10 --duration 300 --orders 10 --settle 1 \
    --placed-file "$control/placed" >/dev/null 2>"$RUN_DIR/connections-feed.err" &
  feed=$!
  orders::wait_for "placements" 60 test -f "$control/placed" || orders::die "connections: the feed placed nothing"
  sleep 2
  touch "$control/fanout"
  bench::conn_wait "$control" fanout notifier 600
  sleep $((QUICK ? 5 : 10))
  touch "$control/fanout-stop"
  sleep 2
  touch "$control/storm"
  # Once every client is back (each swarm gives up by itself 65 s after the drop), the feed runs on
  # for 3 s of live updates after the resume, then stops; 2 s later every order's last version has
  # reached the sample, whose recordings then end.
  for k in 0 1 2 3; do
    orders::wait_for "notifier swarm $k: resumed" 90 test -f "$control/notifier-$k.resumed" || break
  done
  sleep 3
  kill "$feed" 2>/dev/null
  wait "$feed" 2>/dev/null
  sleep 2
  touch "$control/finish"
  for pid in "${CONN_PIDS[@]}"; do wait "$pid"; done
  bench::conn_check "$topic" "$recordings"
  echo '{}' >"$RUN_DIR/connections.json"
  bench::record "$RUN_DIR/connections.json" "max_websockets=$max" "clients=$total" "rss_kb_before=$rss_before" \
    "rss_kb_after=$rss_after" "cpu_seconds_refusing=$(awk -v a="$cpu_after" -v b="$cpu_before" 'BEGIN{print a-b}')" \
    "refusing_seconds=3" \
    "metric_connections=$(awk '/^orders_notifier_connections / {print $2}' <<<"$metrics")" \
    "metric_queued_bytes=$(awk '/^orders_notifier_queued_bytes / {print $2}' <<<"$metrics")" \
    "metric_buffer_bytes=$(awk '/^orders_notifier_buffer_bytes / {print $2}' <<<"$metrics")" \
    "fd_limits=$(grep '"connection limits"' "$RUN_DIR/connections-notifier.log" | head -1)" \
    "checker_exit=$CONN_CHECK_EXIT" "checker_subscribers=$CONN_CHECK_SUBSCRIBERS" \
    "checker_updates=$CONN_CHECK_UPDATES" "checker_violations=$CONN_CHECK_VIOLATIONS"
  bench::stop "$PID_conn_notifier"

  # The baseline: Node.js ws holding as many connections as the notifier held.
  local held node_control="$RUN_DIR/connections-node-control"
  held=$(cat "$control"/notifier-*.ramped | awk '{s += $1} END {print s}')
  mkdir -p "$node_control"
  bench::start conn_node "$RUN_DIR/connections-node.log" node "$ORDERS_ROOT/tests/bench/node/broadcast.mjs" 0
  node_port=$(bench::port_of "$RUN_DIR/connections-node.log")
  sleep 1
  rss_before=$(bench::rss_kb "$PID_conn_node")
  bench::conn_swarms node "$node_port" "$held" "$node_control"
  bench::conn_wait "$node_control" ramped node 600
  sleep 2
  rss_after=$(bench::rss_kb "$PID_conn_node")
  touch "$node_control/stop"
  for pid in "${CONN_PIDS[@]}"; do wait "$pid"; done
  bench::record "$RUN_DIR/connections.json" "node_clients=$held" "node_rss_kb_before=$rss_before" \
    "node_rss_kb_after=$rss_after"
  bench::stop_all
  # The figures are kept in the run folder either way; a run with a gap is not one to record.
  ((CONN_CHECK_EXIT == 0)) || orders::die "connections: the invariant checker found a gap or a duplicate in the \
sample's recordings across the reconnect storm (exit $CONN_CHECK_EXIT); see $RUN_DIR/connections-checker.txt"
}

# --profile-memory: where the bytes of an idle connection go. The notifier (the test build, with debug
# information) runs twice under heaptrack on a topic of its own: once left idle, once while PROFILE_CLIENTS
# (5,000) clients connect and each subscribes to its own customer, as in the connections phase; each run
# is stopped (SIGTERM) a few seconds after its clients are in. tests/bench/heap_profile.py subtracts the
# idle run's heap at its peak from the loaded one's, per call stack, and prints the top allocation sites
# in bytes per connection. The recordings (heaptrack_gui opens them) and the table stay in the run folder;
# the table is also written to $RESULTS/connections-heap-profile.txt.
bench::connections_profile() {
  local clients=${PROFILE_CLIENTS:-5000} topic="bench-conn-profile-$$" run port pid control held rss_idle rss_loaded
  orders::log "connections memory profile: the notifier under heaptrack, idle and with $clients idle WebSockets"
  orders::create_topic "$topic" 6
  for run in idle loaded; do
    bench::start conn_profile "$RUN_DIR/profile-$run-notifier.log" env RATE_LIMIT=off WEBHOOKS=off \
      ORDERS_TOPIC="$topic" PORT=0 KAFKA_BROKERS="$KAFKA_BROKERS" LOG_LEVEL=info MAX_CONNECTIONS=$((clients + 100)) \
      heaptrack -o "$RUN_DIR/heaptrack-$run" "$BUILD_DIR/notifier/notifier"
    port=$(bench::port_of "$RUN_DIR/profile-$run-notifier.log")
    bench::wait_ready notifier "$port"
    # heaptrack runs the notifier as its child: the signal goes to the notifier itself.
    pid=""
    for candidate in $(pgrep -P "$PID_conn_profile"); do
      [[ $(readlink "/proc/$candidate/exe") == "$(readlink -f "$BUILD_DIR/notifier/notifier")" ]] && pid=$candidate
    done
    [[ -n $pid ]] || orders::die "profile: no notifier process under heaptrack (pid $PID_conn_profile)"
    if [[ $run == loaded ]]; then
      control="$RUN_DIR/profile-control"
      mkdir -p "$control"
      bench::conn_swarms notifier "$port" "$clients" "$control" --sample-every 0
      bench::conn_wait "$control" ramped notifier 900
      held=$(cat "$control"/notifier-*.ramped | awk '{s += $1} END {print s}')
      sleep 3
      rss_loaded=$(bench::rss_kb "$pid")
      local swarm
      for swarm in "${CONN_PIDS[@]}"; do kill "$swarm" 2>/dev/null; wait "$swarm" 2>/dev/null; done
    else
      sleep 5
      rss_idle=$(bench::rss_kb "$pid")
    fi
    kill -TERM "$pid"
    wait "$PID_conn_profile" 2>/dev/null  # heaptrack writes its file once the notifier exited
    BENCH_PIDS=()
  done
  local idle_file loaded_file
  idle_file=$(ls "$RUN_DIR"/heaptrack-idle.* 2>/dev/null | head -1)
  loaded_file=$(ls "$RUN_DIR"/heaptrack-loaded.* 2>/dev/null | head -1)
  [[ -n $idle_file && -n $loaded_file ]] || orders::die "profile: heaptrack wrote no recording (see $RUN_DIR/profile-*.log)"
  ((${held:-0} > 0)) || orders::die "profile: no connection was held"
  orders::log "profile: $held connections held; analysing $idle_file and $loaded_file"
  python3 "$ORDERS_ROOT/tests/bench/heap_profile.py" --idle "$idle_file" --loaded "$loaded_file" --connections "$held" \
    --rss-kb-idle "$rss_idle" --rss-kb-loaded "$rss_loaded" | tee "$RUN_DIR/connections-heap-profile.txt" ||
    orders::die "profile: heap_profile.py failed"
  cp "$RUN_DIR/connections-heap-profile.txt" "$RESULTS/connections-heap-profile.txt"
  orders::log "profile: recordings in $RUN_DIR (heaptrack_gui opens them); table in $RESULTS/connections-heap-profile.txt"
}

# bench::conn_check TOPIC DIR: the invariant checker's subscriber check on the sample's recordings
# (orders_check_invariants; no read model, inventory or workflow in this phase), against the whole topic.
# Sets CONN_CHECK_EXIT (0 hold, 1 broken, 2 unreadable), _SUBSCRIBERS, _UPDATES (checked) and _VIOLATIONS.
bench::conn_check() {
  local topic=$1 dir=$2 out="$RUN_DIR/connections-checker.txt" files
  files=("$dir"/*.jsonl)
  CONN_CHECK_SUBSCRIBERS=0 CONN_CHECK_UPDATES=0 CONN_CHECK_VIOLATIONS=0
  if [[ ! -f ${files[0]} ]]; then
    orders::log "connections: the sample recorded nothing in $dir"
    CONN_CHECK_EXIT=2
    return
  fi
  "$BUILD_DIR/tests/invariants/orders_check_invariants" --topic "$topic" --no-inventory --no-workflow "${files[@]}" \
    >"$out" 2>&1
  CONN_CHECK_EXIT=$?
  CONN_CHECK_SUBSCRIBERS=${#files[@]}
  # The summary's first line holds name=count pairs; per subscriber updates_seen_by_<name>.
  CONN_CHECK_UPDATES=$(head -1 "$out" | tr ' ' '\n' | awk -F= '/^updates_seen_by_/ {s += $2} END {print s + 0}')
  CONN_CHECK_VIOLATIONS=$(head -1 "$out" | tr ' ' '\n' | awk -F= '$1 == "violations" {print $2}')
  CONN_CHECK_VIOLATIONS=${CONN_CHECK_VIOLATIONS:-0}
  if ((CONN_CHECK_EXIT == 0)); then
    orders::log "connections: invariant checker on ${#files[@]} sample subscribers: no gap, nothing twice" \
      "($CONN_CHECK_UPDATES updates checked against the topic)"
  else
    orders::log "connections: invariant checker on ${#files[@]} sample subscribers FAILED (exit $CONN_CHECK_EXIT):"
    grep -v '^invariants hold' "$out" | sed "s/^INVARIANTS BROKEN:.*/INVARIANTS BROKEN (violations: $CONN_CHECK_VIOLATIONS)/" | head -40 >&2
  fi
}

# ---------------------------------------------------------------------------------------------
# Phase `scaleout` (opt-in): the command service scaled from one instance to three behind a round-robin
# TCP balancer (tests/bench/tcp_proxy.cpp, the tests' TcpProxy as a process). The instances share a topic
# and writer group: each writes the partitions the group gives it, places new orders in those, and
# forwards commands for other instances' orders to their writer.

# The gauge of partitions an instance writes (0 when it cannot be read).
bench::owned_partitions() {
  curl -fs "http://127.0.0.1:$1/metrics" 2>/dev/null | awk '/^orders_command_owned_partitions / {print int($2); found=1} END {if (!found) print 0}'
}

# Order requests this instance forwarded and whose writer answered
# (orders_command_forwarded_total{outcome="relayed",stream="orders"}).
bench::relayed() {
  curl -fs "http://127.0.0.1:$1/metrics" 2>/dev/null | awk '/^orders_command_forwarded_total\{outcome="relayed",stream="orders"\}/ {print int($2); found=1} END {if (!found) print 0}'
}

# bench::writers_settled PORT...: every instance ready and writing some of the six partitions, all six
# written, and each one knows the others' addresses: a status change of an order nobody has reaches its
# partition's writer, which answers 404 (an instance that does not know the writer answers 503).
bench::writers_settled() {
  local port total=0 mine id i
  for port in "$@"; do
    curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" || return 1
    mine=$(bench::owned_partitions "$port")
    ((mine > 0)) || return 1
    total=$((total + mine))
  done
  ((total == 6)) || return 1
  (($# > 1)) || return 0
  for i in $(seq 1 12); do
    id=$(cat /proc/sys/kernel/random/uuid)
    for port in "$@"; do
      [[ $(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $ORDERS_TOKEN" \
        -H 'Content-Type: application/json' -d '{"status":"confirmed"}' \
        "http://127.0.0.1:$port/orders/$id/status") == 404 ]] || return 1
    done
  done
}

# bench::scaleout_run LABEL PORT TOOL_ARGS...: one orders_http_load run, with the CPU the command service
# instances (SCALEOUT_PIDS) and the balancer (SCALEOUT_PROXY_PID, when set) used during it.
bench::scaleout_run() {
  local label=$1 port=$2 before proxy_before=0
  shift 2
  before=$(bench::cpu $SCALEOUT_PIDS)
  [[ -n ${SCALEOUT_PROXY_PID:-} ]] && proxy_before=$(bench::cpu "$SCALEOUT_PROXY_PID")
  "$TOOLS/orders_http_load" --port "$port" --duration "$RUN_SECONDS" "$@" --label "$label" \
    --json "$RUN_DIR/$label.json" >/dev/null 2>"$RUN_DIR/$label.err" ||
    { cat "$RUN_DIR/$label.err" >&2; orders::die "scaleout: $label failed"; }
  local proxy_cpu=0
  [[ -n ${SCALEOUT_PROXY_PID:-} ]] &&
    proxy_cpu=$(awk -v a="$(bench::cpu "$SCALEOUT_PROXY_PID")" -v b="$proxy_before" 'BEGIN{print a-b}')
  bench::record "$RUN_DIR/$label.json" "instances=$SCALEOUT_INSTANCES" \
    "cpu_seconds=$(awk -v a="$(bench::cpu $SCALEOUT_PIDS)" -v b="$before" 'BEGIN{print a-b}')" \
    "proxy_cpu_seconds=$proxy_cpu"
}

bench::scaleout() {
  orders::log "phase scaleout: one command service direct vs three behind a round-robin TCP proxy, $PAIRS pair(s)"
  local topic="bench-scaleout-$$" i name port ports=() pids=() proxy max half
  orders::create_topic "$topic" 6
  local service=(env RATE_LIMIT=off WORKFLOW=off ORDERS_TOPIC="$topic" PORT=0 KAFKA_BROKERS="$KAFKA_BROKERS"
    LOG_LEVEL=info CONSUMER_GROUP="bench-scaleout-$$" "$BUILD_DIR/command-service/command-service")
  bench::start so_a "$RUN_DIR/scaleout-a.log" "${service[@]}"
  ports+=("$(bench::port_of "$RUN_DIR/scaleout-a.log")")
  pids+=("$PID_so_a")
  orders::wait_for "one instance to write all six partitions" 120 bench::writers_settled "${ports[@]}" ||
    orders::die "scaleout: the first instance did not take the six partitions"

  # One instance: straight to it, and through the balancer with only it behind (what the balancer costs).
  bench::start so_proxy1 "$RUN_DIR/scaleout-proxy1.log" "$TOOLS/orders_tcp_proxy" --targets "${ports[0]}"
  proxy=$(bench::port_of "$RUN_DIR/scaleout-proxy1.log")
  SCALEOUT_PIDS="${pids[*]}" SCALEOUT_INSTANCES=1
  for i in $(seq 1 "$PAIRS"); do
    SCALEOUT_PROXY_PID="" bench::scaleout_run "scaleout-one-direct-$i" "${ports[0]}" --connections 64 --request post-order
    SCALEOUT_PROXY_PID=$PID_so_proxy1 bench::scaleout_run "scaleout-one-proxied-$i" "$proxy" --connections 64 \
      --request post-order
  done
  bench::stop "$PID_so_proxy1"

  # Three instances: the group splits the partitions; the balancer sends each new connection to the next.
  # Not alternated with the single instance: every change of the group is a rebalance of tens of seconds.
  for name in b c; do
    bench::start "so_$name" "$RUN_DIR/scaleout-$name.log" "${service[@]}"
    ports+=("$(bench::port_of "$RUN_DIR/scaleout-$name.log")")
    eval "pids+=(\"\$PID_so_$name\")"
  done
  orders::wait_for "three instances to split the partitions and know each other" 180 \
    bench::writers_settled "${ports[@]}" || orders::die "scaleout: the three instances did not settle"
  orders::log "scaleout: partitions written per instance: $(for port in "${ports[@]}"; do printf '%s ' "$(bench::owned_partitions "$port")"; done)"
  bench::start so_proxy3 "$RUN_DIR/scaleout-proxy3.log" "$TOOLS/orders_tcp_proxy" \
    --targets "$(IFS=,; echo "${ports[*]}")"
  proxy=$(bench::port_of "$RUN_DIR/scaleout-proxy3.log")
  SCALEOUT_PIDS="${pids[*]}" SCALEOUT_INSTANCES=3 SCALEOUT_PROXY_PID=$PID_so_proxy3
  for i in $(seq 1 "$PAIRS"); do
    bench::scaleout_run "scaleout-three-$i" "$proxy" --connections 64 --request post-order
  done

  # Forwarding: status changes of existing orders through the balancer, so about two in three reach an
  # instance that does not write the order and are forwarded. The maximum first (closed loop), then open
  # loop at 50% of it, where the latency of forwarded and local commands is compared.
  bench::scaleout_run scaleout-walk-max "$proxy" --connections 64 --request status-walk --partitions 6 \
    --orders $((RUN_SECONDS * 4000))
  max=$(python3 -c "import json; print(int(json.load(open('$RUN_DIR/scaleout-walk-max.json'))['throughput_per_s']))")
  ((max > 0)) || orders::die "scaleout: the status-walk maximum run completed nothing"
  half=$(((max + 1) / 2))
  orders::log "scaleout: status changes through the balancer, maximum $max/s; paced runs at $half/s"
  for i in $(seq 1 "$PAIRS"); do
    local relayed_before=0 relayed_after=0
    for port in "${ports[@]}"; do relayed_before=$((relayed_before + $(bench::relayed "$port"))); done
    bench::scaleout_run "scaleout-walk-50-$i" "$proxy" --connections 64 --request status-walk --partitions 6 \
      --rate "$half" --orders $((half * RUN_SECONDS / 5 + 200))
    for port in "${ports[@]}"; do relayed_after=$((relayed_after + $(bench::relayed "$port"))); done
    # The services' own count of what they forwarded, to check the tool's split against.
    bench::record "$RUN_DIR/scaleout-walk-50-$i.json" "relayed_by_services=$((relayed_after - relayed_before))"
  done
  SCALEOUT_PROXY_PID=""
  bench::stop_all
}

# ---------------------------------------------------------------------------------------------
# Phase `failover` (opt-in): a command service on a three-node Kafka cluster of its own (replication
# factor 3, min.insync.replicas 2; clients on KAFKA_PORT + 10, + 12, + 14, controllers one above each, or
# FAILOVER_KAFKA_PORT / FAILOVER_KAFKA_CONTROLLER_PORT), a steady open-loop load of POST /orders, and a
# SIGKILL of the node leading the partition that took the most records just before. Every answer is
# recorded (orders_http_load --record); report.py times the failover from them, and the invariant checker
# compares the acknowledged commands with the log afterwards.

# bench::end_offsets TOPIC: "partition offset" lines (Kafka's GetOffsetShell, latest offsets).
bench::end_offsets() {
  java -Xmx256m -XX:TieredStopAtLevel=1 "-Dlog4j2.configurationFile=$ORDERS_ROOT/infra/local/log4j2.properties" \
    "-Dkafka.logs.dir=$ORDERS_DATA/logs/kafka" -cp "$ORDERS_DATA/kafka-libs/*" \
    org.apache.kafka.tools.GetOffsetShell --bootstrap-server "$KAFKA_BROKERS" --topic "$1" 2>/dev/null |
    awk -F: 'NF == 3 {print $2, $3}'
}

# bench::leaders TOPIC: "partition leader" lines.
bench::leaders() {
  orders::kafka_topics --describe --topic "$1" 2>/dev/null | awk '{
    for (i = 1; i < NF; i++) { if ($i == "Partition:") p = $(i + 1); if ($i == "Leader:") l = $(i + 1) }
    if (p != "" && l != "") print p, l; p = ""; l = "" }'
}

bench::failover() {
  local saved_port=$KAFKA_PORT saved_controller=$KAFKA_CONTROLLER_PORT saved_brokers=$KAFKA_BROKERS
  local saved_factor=${KAFKA_REPLICATION_FACTOR:-1} n
  KAFKA_PORT=${FAILOVER_KAFKA_PORT:-$((saved_port + 10))}
  KAFKA_CONTROLLER_PORT=${FAILOVER_KAFKA_CONTROLLER_PORT:-$((saved_port + 11))}
  orders::log "phase failover: SIGKILL of a partition leader of a three-node cluster (127.0.0.1:$KAFKA_PORT, :$((KAFKA_PORT + 2)), :$((KAFKA_PORT + 4))) under $FAILOVER_RATE POST/s"
  orders::timed failover-cluster orders::start_kafka_cluster bench-kafka
  KAFKA_PORT=$saved_port KAFKA_CONTROLLER_PORT=$saved_controller  # from here on KAFKA_BROKERS names the cluster
  local topic="bench-failover-$$" port answers="$RUN_DIR/failover-answers.jsonl"
  orders::create_topic "$topic" 6
  bench::start fo_command "$RUN_DIR/failover-command.log" env RATE_LIMIT=off WORKFLOW=off ORDERS_TOPIC="$topic" PORT=0 \
    KAFKA_BROKERS="$KAFKA_BROKERS" LOG_LEVEL=info CONSUMER_GROUP="bench-failover-$$" "$BUILD_DIR/command-service/command-service"
  port=$(bench::port_of "$RUN_DIR/failover-command.log")
  orders::wait_for "the command service to write all six partitions" 120 bench::writers_settled "$port" ||
    orders::die "failover: the command service did not take the six partitions"
  # 256 connections: commands on the dead leader's partitions wait up to the producer's timeout (3 s), and
  # the others must still find a free connection meanwhile.
  "$TOOLS/orders_http_load" --port "$port" --connections 256 --duration "$FAILOVER_SECONDS" --rate "$FAILOVER_RATE" \
    --request post-order --record "$answers" --label failover --json "$RUN_DIR/failover-load.json" \
    >/dev/null 2>"$RUN_DIR/failover-load.err" &
  local load=$! early late busiest="" most=-1 partition offset count leader led=""
  sleep $((FAILOVER_KILL_AFTER / 2))
  early=$(bench::end_offsets "$topic")
  local rest=$((FAILOVER_KILL_AFTER - FAILOVER_KILL_AFTER / 2 - 2))  # the offset look-ups take about 2 s
  ((rest > 0)) && sleep "$rest"
  late=$(bench::end_offsets "$topic")
  local deltas="{"
  while read -r partition offset; do
    count=$(awk -v p="$partition" -v late="$offset" '$1 == p {before = $2} END {print late - before}' <<<"$early")
    deltas+="\"$partition\": $count,"
    ((count > most)) && most=$count busiest=$partition
  done <<<"$late"
  deltas="${deltas%,}}"
  [[ -n $busiest ]] || { kill "$load" 2>/dev/null; orders::die "failover: could not read the topic's end offsets"; }
  local leaders
  leaders=$(bench::leaders "$topic")
  leader=$(awk -v p="$busiest" '$1 == p {print $2}' <<<"$leaders")
  [[ -n $leader && -f $ORDERS_DATA/bench-kafka-$leader.pid ]] ||
    { kill "$load" 2>/dev/null; orders::die "failover: no leader found for partition $busiest"; }
  led=$(awk -v l="$leader" '$2 == l {printf "%s%s", sep, $1; sep = ","}' <<<"$leaders")
  kill -KILL "$(head -1 "$ORDERS_DATA/bench-kafka-$leader.pid")"
  local killed_ns
  killed_ns=$(date +%s%N)
  orders::log "failover: killed node $leader, leader of partitions $led (partition $busiest took $most records in the last $((FAILOVER_KILL_AFTER / 2)) s)"
  wait "$load" || { cat "$RUN_DIR/failover-load.err" >&2; orders::die "failover: the load tool failed"; }
  # Whether the command service lived through the failover: librdkafka 2.0's admin client can abort the
  # process when a request to a group coordinator times out (librdkafka issue 4605), which a dead node causes.
  local service_alive=true service_exit=""
  if ! kill -0 "$PID_fo_command" 2>/dev/null; then
    service_alive=false
    wait "$PID_fo_command"
    service_exit=$?
    orders::log "failover: the command service exited ($service_exit) during the run: $(tail -1 "$RUN_DIR/failover-command.log")"
  fi
  bench::stop_all
  # Every acknowledged placement must be in the log, once, with the status it answered.
  python3 "$ORDERS_ROOT/tests/bench/report.py" failover-acks "$answers" "$RUN_DIR/failover-acknowledged.jsonl"
  # A time limit: with a node down the checker's Kafka client has been seen to take minutes to finish.
  local check=0
  KAFKA_BROKERS="$KAFKA_BROKERS" timeout 180 "$BUILD_DIR/tests/invariants/orders_check_invariants" --topic "$topic" \
    --acknowledged "$RUN_DIR/failover-acknowledged.jsonl" --no-inventory --no-workflow \
    >"$RUN_DIR/failover-check.txt" 2>&1 || check=$?
  grep -v "^%" "$RUN_DIR/failover-check.txt" | head -1 >&2  # librdkafka logs to the same file with a % prefix
  echo '{}' >"$RUN_DIR/failover.json"
  bench::record "$RUN_DIR/failover.json" "rate=$FAILOVER_RATE" "seconds=$FAILOVER_SECONDS" \
    "kill_after_seconds=$FAILOVER_KILL_AFTER" "killed_ns=$killed_ns" "killed_node=$leader" \
    "busiest_partition=$busiest" "records_before_kill=$deltas" "led_partitions=[$led]" "checker_exit=$check" \
    "command_service_alive_at_end=$service_alive" "command_service_exit=${service_exit:-null}" \
    "command_service_last_log=$(tail -1 "$RUN_DIR/failover-command.log" | head -c 2000)" \
    "checker_output=$(head -c 20000 "$RUN_DIR/failover-check.txt")"
  orders::kafka_topics --delete --topic "$topic" >/dev/null 2>&1 || true
  # All at once: one by one, the last two would wait for a controller quorum that is already gone.
  for n in 1 2 3; do
    orders::pid_alive "$ORDERS_DATA/bench-kafka-$n.pid" && kill -TERM "$(head -1 "$ORDERS_DATA/bench-kafka-$n.pid")"
  done
  for n in 1 2 3; do orders::stop_pid_file "$ORDERS_DATA/bench-kafka-$n.pid" 30; done
  KAFKA_BROKERS=$saved_brokers KAFKA_REPLICATION_FACTOR=$saved_factor
}

orders::timed install orders::install_deps
orders::timed kafka-jars orders::kafka_jars
if ((PROFILE_MEMORY)); then
  command -v heaptrack >/dev/null && command -v heaptrack_print >/dev/null ||
    orders::die "--profile-memory needs heaptrack (apt-get install heaptrack)"
  # The test build's settings (infra/test.sh), so the profile does not reconfigure it; only what the profile runs.
  ((BUILD)) && orders::timed build orders::build "-DORDERS_TEST_TIERS=unit;integration;e2e;fault" -DORDERS_BENCH=ON \
    -- notifier orders_conn_swarm orders-token
else
  ((BUILD)) && orders::timed build orders::build
fi
# The services run with auth on, as in production; the load generators call as `service`, with the token
# in their environment (ORDERS_TOKEN), not on a command line.
[[ -n "${JWT_SECRET:-}" ]] || JWT_SECRET="bench-$(head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')"
export JWT_SECRET
ORDERS_TOKEN="$("$BUILD_DIR/infra/platform/orders-token" --role service --sub bench --ttl 12h)" ||
  orders::die "orders-token could not mint the benchmark token"
export ORDERS_TOKEN
orders::timed kafka orders::start_kafka
orders::timed postgres orders::start_postgres
export KAFKA_BROKERS DATABASE_URL
# A broker that already holds thousands of partitions (a developer's, after many test runs) is slower;
# the count goes into the results.
echo "$(orders::kafka_topics --list 2>/dev/null | wc -l)" >"$RUN_DIR/kafka-topics-at-start.txt"
orders::log "the broker holds $(cat "$RUN_DIR/kafka-topics-at-start.txt") topics"

if ((PROFILE_MEMORY)); then
  orders::timed profile bench::connections_profile
  orders::print_timings
  exit 0
fi
# ---------------------------------------------------------------------------------------------
# Start-up (opt-in): the command service's time from start to ready, and its memory then, after a history
# of STARTUP_EVENTS events (full: 1,000,000 and 5,000,000; --quick: 200,000) ending in STARTUP_LIVE live
# orders (50,000; --quick: 5,000), the rest finished orders of six events each, and beside it an inventory
# history of STARTUP_PRODUCTS products (100) where every finished order reserved and committed a unit and
# every live one holds one (orders_kafka_load --mode history). Three starts on each: without a state store
# (a full replay of the log), with an empty one (COMMAND_STATE_DIR: the replay fills it) and again with it
# (only the tail after its checkpoint); and the full replay and the two store starts again keeping every
# settled reservation (RESERVATION_RETENTION=365d: the history is four weeks old), for what forgetting them saves.
bench::startup() {
  local sizes=${STARTUP_EVENTS:-"1000000 5000000"} live=${STARTUP_LIVE:-50000} products=${STARTUP_PRODUCTS:-100}
  local events topic inventory
  ((QUICK)) && sizes=${STARTUP_EVENTS:-200000} live=${STARTUP_LIVE:-5000}
  for events in $sizes; do
    orders::log "phase startup: $events events of history, $live live orders, $products products"
    topic="bench-startup-$events-$$"
    inventory="bench-startup-inventory-$events-$$"
    orders::create_topic "$topic" 6
    orders::create_topic "$inventory" 6
    "$TOOLS/orders_kafka_load" --mode history --topic "$topic" --events "$events" --live "$live" \
      --inventory-topic "$inventory" --products "$products" \
      --json "$RUN_DIR/startup-history-$events.json" >/dev/null || orders::die "startup: could not write the history"
    bench::startup_run replay "$events" "$topic" "$inventory"
    bench::startup_run replay-keep-settled "$events" "$topic" "$inventory" RESERVATION_RETENTION=365d
    # With a state store: a first start fills it (a full replay plus its writes), a restart resumes from it.
    bench::startup_run filling "$events" "$topic" "$inventory" COMMAND_STATE_DIR="$RUN_DIR/startup-state-$events"
    bench::startup_run snapshot "$events" "$topic" "$inventory" COMMAND_STATE_DIR="$RUN_DIR/startup-state-$events"
    rm -rf "$RUN_DIR/startup-state-$events"
    # The same two keeping every settled reservation: what a product's stored record would otherwise hold.
    bench::startup_run filling-keep-settled "$events" "$topic" "$inventory" RESERVATION_RETENTION=365d \
      COMMAND_STATE_DIR="$RUN_DIR/startup-state-keep-$events"
    bench::startup_run snapshot-keep-settled "$events" "$topic" "$inventory" RESERVATION_RETENTION=365d \
      COMMAND_STATE_DIR="$RUN_DIR/startup-state-keep-$events"
    rm -rf "$RUN_DIR/startup-state-keep-$events"
    orders::kafka_topics --delete --topic "$topic" >/dev/null 2>&1 || true
    orders::kafka_topics --delete --topic "$inventory" >/dev/null 2>&1 || true
  done
}

# bench::startup_run LABEL EVENTS TOPIC INVENTORY_TOPIC [NAME=VALUE...]: starts the command service on the two
# topics (with the extra environment), times start -> /readyz 200 and records its RSS and CPU seconds then, and
# the replay figures of its log, in startup-LABEL-EVENTS.json.
bench::startup_run() {
  local label=$1 events=$2 topic=$3 inventory=$4 log port start ready_ms rss cpu forgotten
  shift 4
  log="$RUN_DIR/startup-$label-$events.log"
  start=$(date +%s%N)
  bench::start startup "$log" env RATE_LIMIT=off WORKFLOW=off ORDERS_TOPIC="$topic" INVENTORY_TOPIC="$inventory" \
    PORT=0 KAFKA_BROKERS="$KAFKA_BROKERS" LOG_LEVEL=info CONSUMER_GROUP="bench-startup-$label-$events-$$" "$@" \
    "$BUILD_DIR/command-service/command-service"
  port=$(bench::port_of "$log")
  orders::wait_for "the command service to replay $events events" 900 \
    curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" || orders::die "startup: the command service did not become ready"
  ready_ms=$((($(date +%s%N) - start) / 1000000))
  rss=$(bench::rss_kb "$PID_startup")
  cpu=$(bench::cpu "$PID_startup")
  forgotten=$(curl -fs "http://127.0.0.1:$port/metrics" |
    awk '$1 == "orders_command_settled_reservations_forgotten_total" { print $2 }')
  bench::stop_all
  python3 - "$RUN_DIR/startup-$label-$events.json" "$label" "$events" "$ready_ms" "$rss" "$cpu" "$log" \
    "${forgotten:-0}" <<'PY'
import json, sys
path, label, events, ready_ms, rss_kb, cpu, log, forgotten = sys.argv[1:]
rebuilt, stock_rebuilt, loaded = {}, {}, {}
for line in open(log):
    if '"command state rebuilt"' in line and '"orders":' in line:
        rebuilt = json.loads(line)
    elif '"command state rebuilt"' in line and '"products":' in line:
        stock_rebuilt = json.loads(line)
    elif '"command state loaded from the state store' in line:
        loaded = json.loads(line)
json.dump({"label": label, "events": int(events), "ready_seconds": int(ready_ms) / 1000,
           "rss_mb": int(rss_kb) / 1024, "cpu_seconds": float(cpu),
           "orders_held": rebuilt.get("orders"), "replayed_events": rebuilt.get("events"),
           "rebuild_seconds": rebuilt.get("seconds"), "from_state_store": bool(rebuilt.get("fromStateStore")),
           "products_held": stock_rebuilt.get("products"), "replayed_inventory_events": stock_rebuilt.get("events"),
           "settled_reservations_forgotten": int(float(forgotten)),
           "orders_loaded": loaded.get("ordersLoaded"), "orders_left_in_store": loaded.get("ordersLeftInStore")},
          open(path, "w"), indent=2)
PY
}

bench::phase append && orders::timed append bench::append
bench::phase projection && orders::timed projection bench::projection
bench::phase lag && orders::timed lag bench::projection_lag
bench::phase fanout && orders::timed fanout bench::fanout
bench::phase e2e && orders::timed e2e bench::e2e
bench::phase limits && orders::timed limits bench::limits
bench::phase dispatch && orders::timed dispatch bench::dispatch
bench::phase workflow && orders::timed workflow bench::workflow
bench::phase webhooks && orders::timed webhooks bench::webhooks
bench::phase connections && orders::timed connections bench::connections
bench::phase reports && orders::timed reports bench::reports
bench::phase scaleout && orders::timed scaleout bench::scaleout
bench::phase failover && orders::timed failover bench::failover
bench::phase startup && orders::timed startup bench::startup

python3 "$ORDERS_ROOT/tests/bench/report.py" summarize "$RUN_DIR" "$RESULTS" --quick "$QUICK" --pairs "$PAIRS" ||
  orders::die "could not summarize the run in $RUN_DIR"
orders::log "results: $RESULTS/bench-results.json (and .txt, e2e-latency.svg)"
if ((RECORD)); then
  if [[ $PHASES == "$ALL_PHASES" ]]; then bench::record_docs "$RESULTS"; else bench::record_docs "$RESULTS" merge; fi
fi
orders::print_timings
