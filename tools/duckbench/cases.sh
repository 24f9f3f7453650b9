#!/usr/bin/env bash
# Runs duckbench and `rfmsync score` on the adversarial books of
# tools/refscore/gen_cases.py, the embedded sample and (when present) the UCI
# Online Retail set, and compares the outputs byte for byte. It checks that
# the SQL is the contract beyond the clean generated book run.sh times.
# Three cases are expected to differ (see README.md); any other is a bug.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d /tmp/duckcases.XXXXXX)
echo "work dir: $tmp"
cd "$root" || exit 2
go build -o "$tmp/rfmsync" ./cmd/rfmsync || exit 2
(cd "$here" && go build -o "$tmp/duckbench" .) || exit 2
python3 tools/refscore/gen_cases.py "$tmp/cases" >/dev/null || exit 2
man=$tmp/cases/manifest.tsv
printf 'sample\t%s\t2011-12-10T00:00:00Z\t730\t\n' "$root/cmd/rfmsync/testdata/orders.csv" >>"$man"
uci=/work/shared/datasets/online-retail/online_retail.csv.gz
if [ -f "$uci" ]; then
  zcat "$uci" | go run ./tools/retail2orders >"$tmp/uci.csv" || exit 2
  printf 'uci\t%s\t2011-12-10T00:00:00Z\t730\t\n' "$tmp/uci.csv" >>"$man"
  printf 'uci_w90\t%s\t2011-12-10T00:00:00Z\t90\t\n' "$tmp/uci.csv" >>"$man"
  printf 'uci_mid\t%s\t2011-06-15T13:45:30.5+02:00\t200\t\n' "$tmp/uci.csv" >>"$man"
fi
ok=0 bad=0
while IFS=$'\t' read -r name file asof window extra; do
  if [ -n "$extra" ]; then
    echo "skip $name (needs $extra)"
    continue
  fi
  "$tmp/rfmsync" score --orders "$file" --asof "$asof" --window-days "$window" --out "$tmp/$name.go.csv" 2>"$tmp/$name.go.err"
  g=$?
  "$tmp/duckbench" --orders "$file" --asof "$asof" --window-days "$window" --out "$tmp/$name.duck.csv" 2>"$tmp/$name.duck.err"
  d=$?
  if [ $g -eq 0 ] && [ $d -eq 0 ] && cmp -s "$tmp/$name.go.csv" "$tmp/$name.duck.csv"; then
    ok=$((ok + 1))
    echo "ok   $name"
    continue
  fi
  bad=$((bad + 1))
  echo "DIFF $name (rfmsync rc=$g, duckbench rc=$d)"
  if [ $g -eq 0 ] && [ $d -eq 0 ]; then
    diff "$tmp/$name.go.csv" "$tmp/$name.duck.csv" | head -8 | cat -A | sed 's/^/  /'
  else
    head -2 "$tmp/$name.duck.err" | sed 's/^/  /'
  fi
done <"$man"
echo "identical=$ok different=$bad"
[ $bad -eq 0 ]
