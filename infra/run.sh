#!/usr/bin/env bash
# Installs what is missing, builds the three services and the orders-token tool (nothing else), starts
# a local Kafka (KRaft) and PostgreSQL, creates the topics, starts the three services with auth on and
# prints their URLs, a token per role and pages that carry them. Stays in the foreground; Ctrl-C or
# SIGTERM stops everything it started. JWT_SECRET from the environment wins over the local secret.
#
#   ./infra/run.sh --brokers 3   a three-node Kafka cluster instead of one broker (replication factor 3,
#       min.insync.replicas 2; clients on 127.0.0.1:9092, :9094, :9096): kill a node by hand
#       (kill -9 "$(cat .local/kafka-2.pid)") and keep placing orders; run it again to restart the node.
set -uo pipefail
brokers=1
if [[ ${1:-} == --brokers ]]; then
  brokers=${2:-}
  [[ $brokers == 1 || $brokers == 3 ]] || { echo "usage: $0 [--brokers 1|3]" >&2; exit 2; }
  shift 2
fi
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/identity.sh"

trap 'orders::stop_started; [[ -n ${SLEEPER:-} ]] && kill "$SLEEPER" 2>/dev/null; exit 0' INT TERM
trap 'orders::stop_started' EXIT

orders::timed install orders::install_deps
orders::timed kafka-jars orders::kafka_jars
orders::timed build orders::build -- "${ORDERS_SERVICE_TARGETS[@]}" orders-token
orders::ensure_jwt_secret
if ((brokers == 3)); then
  orders::timed infra orders::start_kafka_cluster
else
  orders::timed infra orders::start_kafka
fi
orders::timed infra-pg orders::start_postgres
orders::create_topic "$ORDERS_TOPIC" 6
orders::create_topic "$INVENTORY_TOPIC" 6
orders::timed services orders::start_services
orders::print_timings

cat <<URLS

  Order platform is up (logs in $ORDERS_DATA/logs):
    command API    http://127.0.0.1:8080   (POST /orders, GET /orders/{id}, PUT /orders/{id}/status,
                                            PUT|DELETE /orders/{id}/courier, POST /orders/{id}/delivery-declines,
                                            PUT|GET /inventory/{productId}; the workflow confirms orders itself)
    query API      http://127.0.0.1:8081   (GET /orders, /orders/{id}, /deliveries/open, /reports/status-counts,
                                            /reports/daily, /reports/products, /reports/couriers, /reports/funnel)
    tracking page  http://127.0.0.1:8082/  (WebSocket ws://127.0.0.1:8082/ws)
    metrics        http://127.0.0.1:808{0,1,2}/metrics
    Kafka          $KAFKA_BROKERS  topics $ORDERS_TOPIC, $INVENTORY_TOPIC (replication factor ${KAFKA_REPLICATION_FACTOR:-1})
    PostgreSQL     $DATABASE_URL  (password in $PGPASSFILE)
URLS
orders::print_access
printf '\n  Ctrl-C stops everything started here.\n'

# The sleep is waited for in the background so a signal reaches the trap at once; the trap's exit leaves it
# behind, and it would hold run.sh's open files (a caller's lock, say) for up to an hour.
while true; do
  sleep 3600 &
  SLEEPER=$!
  wait "$SLEEPER"
done
