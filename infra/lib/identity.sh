#!/usr/bin/env bash
# Local identity for ./infra/run.sh (sourced after common.sh): the HS256 secret the services share, and
# ready-made tokens for each role.
#
# The secret: JWT_SECRET from the environment when the operator gives one; otherwise the one created on
# first run under $ORDERS_DATA/secrets/jwt_secret (48 random bytes, base64url, mode 0600). It reaches
# the services through the environment, never a command line.

ORDERS_TOKEN_BINARY="$BUILD_DIR/infra/platform/orders-token"

orders::ensure_jwt_secret() {
  if [[ -n "${JWT_SECRET:-}" ]]; then
    ((${#JWT_SECRET} >= 32)) || orders::die "JWT_SECRET must be at least 32 bytes"
    orders::log "using JWT_SECRET from the environment"
  else
    local file="$ORDERS_DATA/secrets/jwt_secret"
    if [[ ! -s "$file" ]]; then
      mkdir -p "$ORDERS_DATA/secrets" && chmod 700 "$ORDERS_DATA/secrets"
      (umask 077 && head -c 48 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=' >"$file") ||
        orders::die "cannot create $file"
      orders::log "created a local token secret in $file"
    fi
    JWT_SECRET="$(<"$file")"
  fi
  export JWT_SECRET
}

# orders::token ROLE SUBJECT: a token valid for a day, signed with the secret above.
orders::token() { "$ORDERS_TOKEN_BINARY" --role "$1" --sub "$2" --ttl 24h; }

orders::print_access() {
  local customer customer2 courier staff service
  customer="$(orders::token customer alice)" && customer2="$(orders::token customer bob)" &&
    courier="$(orders::token courier courier-1)" && staff="$(orders::token staff ops)" &&
    service="$(orders::token service checkout)" || orders::die "orders-token could not mint the local tokens"
  cat <<ACCESS

  Auth is on. Tokens for a day (mint others: $ORDERS_TOKEN_BINARY --role courier --sub courier-2 --ttl 1h):
    customer (alice)     $customer
    customer (bob)       $customer2
    courier (courier-1)  $courier
    staff (ops)          $staff
    service              $service

  Pages that carry a token:
    alice tracks her orders   http://127.0.0.1:8082/?token=$customer
    bob tracks his orders     http://127.0.0.1:8082/?token=$customer2
    courier-1's deliveries    http://127.0.0.1:8082/?token=$courier
    staff board               http://127.0.0.1:8082/?view=board&token=$staff

  Try it (staff stock tea; alice orders for herself and the workflow takes her payment and confirms it;
  courier-1 accepts, picks up and delivers; a second order finds the tea sold out):
    ALICE=$customer
    COURIER=$courier
    STAFF=$staff
    curl -s -X PUT http://127.0.0.1:8080/inventory/tea -H "Authorization: Bearer \$STAFF" -H 'Content-Type: application/json' -d '{"onHand":2}'
    ID=\$(curl -s -X POST http://127.0.0.1:8080/orders -H "Authorization: Bearer \$ALICE" -H 'Content-Type: application/json' \\
      -d '{"items":[{"productId":"tea","quantity":2,"unitPriceCents":450}]}' | sed 's/.*"orderId":"\([^"]*\)".*/\1/')
    sleep 1; curl -s http://127.0.0.1:8080/orders/\$ID -H "Authorization: Bearer \$ALICE"   # payment authorized, confirmed
    curl -s -X PUT http://127.0.0.1:8080/orders/\$ID/courier -H "Authorization: Bearer \$COURIER" -H 'Content-Type: application/json' -d '{"courierId":"courier-1"}'
    curl -s -X PUT http://127.0.0.1:8080/orders/\$ID/status -H "Authorization: Bearer \$COURIER" -H 'Content-Type: application/json' -d '{"status":"out_for_delivery"}'
    curl -s -X PUT http://127.0.0.1:8080/orders/\$ID/status -H "Authorization: Bearer \$COURIER" -H 'Content-Type: application/json' -d '{"status":"delivered"}'
    curl -s -X POST http://127.0.0.1:8080/orders -H "Authorization: Bearer \$ALICE" -H 'Content-Type: application/json' \\
      -d '{"items":[{"productId":"tea","quantity":1,"unitPriceCents":450}]}'   # cancelled out_of_stock a moment later
    curl -s http://127.0.0.1:8080/inventory/tea -H "Authorization: Bearer \$STAFF"   # onHand 0 after the delivery
    curl -s http://127.0.0.1:8081/orders -H "Authorization: Bearer \$STAFF"
ACCESS
}
