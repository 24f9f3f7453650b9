#!/usr/bin/env bash
# Byte-for-byte comparison of `rfmsync score` against the independent Python reference.
# Usage: tools/refscore/compare.sh [--no-uci]   (run from anywhere; uses /work/main)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/tools/refscore"
BIN=/tmp/rfmsync-ref-check
WORK=$(mktemp -d /tmp/refscore.XXXXXX)
echo "work dir: $WORK"
cd "$ROOT" || exit 2
go build -o "$BIN" ./cmd/rfmsync || { echo "go build failed"; exit 2; }

python3 "$HERE/gen_cases.py" "$WORK/cases" || exit 2
MAN="$WORK/cases/manifest.tsv"
printf 'real_testdata\t%s\t2011-12-10T00:00:00Z\t730\t\n' "$ROOT/cmd/rfmsync/testdata/orders.csv" >>"$MAN"
if [ "${1:-}" != "--no-uci" ]; then
  zcat /work/shared/datasets/online-retail/online_retail.csv.gz | go run ./tools/retail2orders >"$WORK/uci_orders.csv" \
    || { echo "retail2orders failed"; exit 2; }
  printf 'uci_full\t%s\t2011-12-10T00:00:00Z\t730\t\n' "$WORK/uci_orders.csv" >>"$MAN"
  printf 'uci_full_w90\t%s\t2011-12-10T00:00:00Z\t90\t\n' "$WORK/uci_orders.csv" >>"$MAN"
  printf 'uci_full_mid\t%s\t2011-06-15T13:45:30.5+02:00\t200\t\n' "$WORK/uci_orders.csv" >>"$MAN"
fi

ncases=0; nfail=0; nrows=0
while IFS=$'\t' read -r name file asof window extra; do
  ncases=$((ncases + 1))
  rows=$(($(wc -l <"$file") - 1)); nrows=$((nrows + rows))
  # shellcheck disable=SC2086
  "$BIN" score --orders "$file" --asof "$asof" --window-days "$window" $extra >"$WORK/$name.go.csv" 2>"$WORK/$name.go.err"
  grc=$?
  # shellcheck disable=SC2086
  python3 "$HERE/refscore.py" --orders "$file" --asof "$asof" --window-days "$window" $extra >"$WORK/$name.ref.csv" 2>"$WORK/$name.ref.err"
  prc=$?
  if [ $grc -ne $prc ] || ! cmp -s "$WORK/$name.go.csv" "$WORK/$name.ref.csv"; then
    nfail=$((nfail + 1))
    echo "=== MISMATCH $name (rows=$rows, go rc=$grc, ref rc=$prc)"
    diff "$WORK/$name.go.csv" "$WORK/$name.ref.csv" | head -40 | sed 's/^</  go </; s/^>/  ref>/'
    echo "  go stderr:  $(tr '\n' ' ' <"$WORK/$name.go.err")"
    echo "  ref stderr: $(tr '\n' ' ' <"$WORK/$name.ref.err")"
  else
    printf 'ok   %-24s rows=%-7s out=%s\n' "$name" "$rows" "$(($(wc -l <"$WORK/$name.go.csv") - 1))"
  fi
done <"$MAN"
echo "cases=$ncases rows=$nrows mismatches=$nfail  (outputs in $WORK)"
[ $nfail -eq 0 ]
