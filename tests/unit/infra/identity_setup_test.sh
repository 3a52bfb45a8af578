#!/usr/bin/env bash
# The local identity ./infra/run.sh sets up (infra/lib/identity.sh, sourced after infra/lib/common.sh, as run.sh
# does), against a temporary ORDERS_DATA: the secret is made once (mode 0600, at least 32 bytes) and kept; an
# operator's JWT_SECRET wins and no file is written; every token the access printout shows verifies with the
# secret in use and names the role and subject its label says.
#
# Usage: identity_setup_test.sh CASE BUILD_DIR
#   CASE: secret-made-once | operator-secret-wins | printed-tokens-verify
# BUILD_DIR holds infra/platform/orders-token (run.sh's BUILD_DIR). Exit 0 on success, 1 on a failure.
set -uo pipefail

case_name=${1:?case}
build_dir=${2:?build directory}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

[[ -x $build_dir/infra/platform/orders-token ]] || fail "no orders-token in $build_dir/infra/platform (build it first)"

# Each step in a subshell of its own, as each run of run.sh is a process of its own: nothing carries over but
# the data folder. $1: the data folder; the rest: the commands to run after sourcing both files.
with_identity() {
  local data=$1
  shift
  (
    export ORDERS_DATA="$data" BUILD_DIR="$build_dir"
    # shellcheck source=../../../infra/lib/common.sh
    source "$root/infra/lib/common.sh"
    # shellcheck source=../../../infra/lib/identity.sh
    source "$root/infra/lib/identity.sh"
    "$@"
  )
}

ensure_and_show() { orders::ensure_jwt_secret 2>/dev/null && printf '%s' "$JWT_SECRET"; }
ensure_and_print() { orders::ensure_jwt_secret 2>/dev/null && orders::print_access; }

# Every JWT-shaped word of the printout (stdin) must verify as HS256 with $1 and name the role and subject of
# its line's label; every label must have been seen.
check_printout() {
  SECRET="$1" /usr/bin/python3 -c '
import base64, hashlib, hmac, json, os, re, sys, time

secret = os.environ["SECRET"].encode()
# The label of each line that carries a token, and the identity the token must name.
expected = [
    (r"customer \(alice\)|alice tracks|^\s*ALICE=", ("customer", "alice")),
    (r"customer \(bob\)|bob tracks", ("customer", "bob")),
    (r"courier \(courier-1\)|courier-1.s deliveries|^\s*COURIER=", ("courier", "courier-1")),
    (r"staff \(ops\)|staff board|^\s*STAFF=", ("staff", "ops")),
    (r"^\s*service\s", ("service", "checkout")),
]
def decode(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
problems, seen, checked = [], set(), 0
for line in sys.stdin:
    for token in re.findall(r"[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", line):
        checked += 1
        header_part, claims_part, signature_part = token.split(".")
        signature = hmac.new(secret, (header_part + "." + claims_part).encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(signature, decode(signature_part)):
            problems.append("does not verify with the secret: " + line.strip()[:60])
            continue
        header, claims = json.loads(decode(header_part)), json.loads(decode(claims_part))
        if header.get("alg") != "HS256":
            problems.append("alg is not HS256: %r" % header)
        left = claims.get("exp", 0) - time.time()
        if not 23 * 3600 < left <= 24 * 3600 + 60:
            problems.append("not valid for a day (%d s left): %s" % (left, line.strip()[:60]))
        labels = [(pattern, identity) for pattern, identity in expected if re.search(pattern, line)]
        if len(labels) != 1:
            problems.append("a token on a line with no single known label: " + line.strip()[:60])
            continue
        pattern, (role, subject) = labels[0]
        seen.add(pattern)
        if (claims.get("role"), claims.get("sub")) != (role, subject):
            problems.append("%s/%s expected, the token names %s/%s: %s"
                            % (role, subject, claims.get("role"), claims.get("sub"), line.strip()[:60]))
missing = [identity for pattern, identity in expected if pattern not in seen]
if missing:
    problems.append("no token printed for %r" % missing)
if checked < 12:
    problems.append("only %d tokens in the printout" % checked)
for problem in problems:
    print("FAIL: " + problem, file=sys.stderr)
print("%d tokens checked" % checked)
sys.exit(1 if problems else 0)
'
}

case $case_name in
  secret-made-once)
    unset JWT_SECRET
    data="$tmp/data"
    first="$(with_identity "$data" ensure_and_show)" || fail "the first call failed"
    file="$data/secrets/jwt_secret"
    [[ -f $file ]] || fail "no secret file at $file"
    [[ $(stat -c %a "$file") == 600 ]] || fail "the secret file has mode $(stat -c %a "$file"), not 600"
    [[ $(stat -c %a "$data/secrets") == 700 ]] || fail "the secrets folder has mode $(stat -c %a "$data/secrets")"
    (($(wc -c <"$file") >= 32)) || fail "the secret has $(wc -c <"$file") bytes, fewer than 32"
    [[ $first == "$(<"$file")" ]] || fail "JWT_SECRET is not the file's secret"
    before="$(stat -c '%i %Y %s' "$file") $(sha256sum <"$file")"
    second="$(with_identity "$data" ensure_and_show)" || fail "the second call failed"
    [[ $second == "$first" ]] || fail "the second call gave another secret"
    [[ "$(stat -c '%i %Y %s' "$file") $(sha256sum <"$file")" == "$before" ]] || fail "the second call rewrote the file"
    other="$(with_identity "$tmp/other" ensure_and_show)" || fail "a call on another data folder failed"
    [[ $other != "$first" ]] || fail "two data folders got the same secret: it is not random"
    echo "secret made once: $(wc -c <"$file") bytes, mode 600, unchanged by a second call"
    ;;
  operator-secret-wins)
    data="$tmp/data"
    export JWT_SECRET="an-operator-secret-of-at-least-32-bytes"
    got="$(with_identity "$data" ensure_and_show)" || fail "ensure_jwt_secret refused the operator's secret"
    [[ $got == "$JWT_SECRET" ]] || fail "the operator's JWT_SECRET was replaced"
    [[ ! -e $data/secrets/jwt_secret ]] || fail "a secret file was written although JWT_SECRET was given"
    with_identity "$data" ensure_and_print | check_printout "$JWT_SECRET" ||
      fail "the printed tokens do not verify with the operator's secret"
    [[ ! -e $data/secrets/jwt_secret ]] || fail "printing the tokens wrote a secret file"
    if JWT_SECRET="too-short" with_identity "$data" ensure_and_show >/dev/null 2>&1; then
      fail "a JWT_SECRET shorter than 32 bytes was accepted"
    fi
    echo "the operator's JWT_SECRET wins; no file written; a short one is refused"
    ;;
  printed-tokens-verify)
    unset JWT_SECRET
    data="$tmp/data"
    printout="$(with_identity "$data" ensure_and_print)" || fail "print_access failed"
    secret="$(<"$data/secrets/jwt_secret")"
    check_printout "$secret" <<<"$printout" || fail "the printed tokens do not all verify"
    # The check itself must be able to fail: the same printout under another secret is refused.
    if check_printout "another-secret-of-at-least-32-bytes-long" <<<"$printout" >/dev/null 2>&1; then
      fail "the printout verified under a wrong secret too"
    fi
    ;;
  *)
    fail "unknown case $case_name"
    ;;
esac
