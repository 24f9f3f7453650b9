#!/usr/bin/env bash
# Times `rfmsync score` against the same scoring job in DuckDB (issue 10) on
# a generated order book: builds both, checks that their outputs are
# byte-identical, then runs PAIRS alternating pairs and prints medians.
#
#   tools/duckbench/run.sh                        # 2,000,000 orders, 200,000 customers
#   ORDERS=10000000 CUSTOMERS=1000000 tools/duckbench/run.sh
#   LENIENT=1 tools/duckbench/run.sh              # also time DuckDB without the contract's grammar
#
# Other knobs: PAIRS (5), THREADS (DuckDB threads, 2), ASOF, WINDOW, KEEP=1
# keeps the work directory. The machine is shared: read the medians, and
# the load printed before and after.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
orders=${ORDERS:-2000000}
customers=${CUSTOMERS:-200000}
pairs=${PAIRS:-5}
threads=${THREADS:-2}
asof=${ASOF:-2025-07-01T00:00:00Z}
window=${WINDOW:-730}
lenient=${LENIENT:-0}
tmp=$(mktemp -d /tmp/duckbench.XXXXXX)
if [ "${KEEP:-0}" = 1 ]; then echo "work dir: $tmp"; else trap 'rm -rf "$tmp"' EXIT; fi

cd "$root"
go build -o "$tmp/rfmsync" ./cmd/rfmsync
(cd "$here" && go build -o "$tmp/duckbench" .)
go run ./tools/genorders -orders "$orders" -customers "$customers" >"$tmp/orders.csv"
echo "book: $orders orders, $customers customers, $(du -h "$tmp/orders.csv" | cut -f1); asof $asof, window $window days"

# The contenders, by name; each writes $tmp/<name>.csv.
names=(rfmsync duckdb)
[ "$lenient" = 1 ] && names+=(duckdb_lenient)
# contender sets cmd to contender $1's command line.
contender() {
  local common=(--orders "$tmp/orders.csv" --asof "$asof" --window-days "$window" --out "$tmp/$1.csv")
  case $1 in
  rfmsync) cmd=("$tmp/rfmsync" score "${common[@]}") ;;
  duckdb) cmd=("$tmp/duckbench" "${common[@]}" --threads "$threads") ;;
  duckdb_lenient) cmd=("$tmp/duckbench" --lenient "${common[@]}" --threads "$threads") ;;
  esac
}

# Correctness first: every column of every row, byte for byte.
for n in "${names[@]}"; do
  contender "$n"
  echo "\$ ${cmd[*]}"
  "${cmd[@]}" 2>"$tmp/$n.err" || { echo "FAIL: $n exited non-zero:"; cat "$tmp/$n.err"; exit 1; }
  sed 's/^/  /' "$tmp/$n.err"
done
for n in "${names[@]:1}"; do
  if ! cmp -s "$tmp/rfmsync.csv" "$tmp/$n.csv"; then
    echo "FAIL: $n output differs from rfmsync's ($(wc -l <"$tmp/rfmsync.csv") vs $(wc -l <"$tmp/$n.csv") lines):"
    diff "$tmp/rfmsync.csv" "$tmp/$n.csv" | head -20 || true
    KEEP=1
    trap - EXIT
    echo "outputs kept in $tmp"
    exit 1
  fi
done
echo "outputs identical: $(($(wc -l <"$tmp/rfmsync.csv") - 1)) customers, all columns ($(head -1 "$tmp/rfmsync.csv"))"

# Timing: alternating rounds, the first contender rotating each round.
echo "load before: $(uptime)"
for ((p = 0; p < pairs; p++)); do
  k=${#names[@]}
  for ((j = 0; j < k; j++)); do
    n=${names[$(((p + j) % k))]}
    contender "$n"
    /usr/bin/time -f '%e %U %S %M' -o "$tmp/t" "${cmd[@]}" 2>/dev/null
    tail -1 "$tmp/t" >>"$tmp/$n.times"
  done
done
echo "load after:  $(uptime)"
for n in "${names[@]:1}"; do
  cmp -s "$tmp/rfmsync.csv" "$tmp/$n.csv" || { echo "FAIL: $n output changed during the timed runs"; exit 1; }
done

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
printf '%-16s %8s %8s %8s %10s   (medians of %d runs)\n' contender wall_s user_s sys_s peak_MB "$pairs"
for n in "${names[@]}"; do
  f=$tmp/$n.times
  wall=$(cut -d' ' -f1 "$f" | median)
  user=$(cut -d' ' -f2 "$f" | median)
  sys=$(cut -d' ' -f3 "$f" | median)
  rss=$(cut -d' ' -f4 "$f" | median)
  printf '%-16s %8.2f %8.2f %8.2f %10.0f   walls: %s\n' "$n" "$wall" "$user" "$sys" "$((${rss%.*} / 1024))" "$(cut -d' ' -f1 "$f" | tr '\n' ' ')"
  echo "$wall $user $sys" >"$tmp/$n.med"
done
read -r gw gu gs <"$tmp/rfmsync.med"
for n in "${names[@]:1}"; do
  read -r w u s <"$tmp/$n.med"
  awk -v n="$n" -v w="$w" -v u="$u" -v s="$s" -v gw="$gw" -v gu="$gu" -v gs="$gs" \
    'BEGIN {printf "ratio %s/rfmsync: wall %.2fx, cpu (user+sys) %.2fx\n", n, w / gw, (u + s) / (gu + gs)}'
done
