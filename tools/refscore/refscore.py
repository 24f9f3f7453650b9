#!/usr/bin/env python3
"""Independent reference implementation of the rfmsync scoring contract (`score`).

Written from /work/main/.notes/contract.md only. Standard library only; all money
is exact (Decimal for parsing/rounding, then exact integer micro-units), all time is
integer microseconds since the Unix epoch. No floats anywhere.

Usage: refscore.py --orders FILE.csv --asof RFC3339 [--window-days N] [--bins N]
                   [--amount-column NAME] [--out FILE]
"""
import argparse
import bisect
import csv
import io
import re
import sys
from collections import Counter
from decimal import Decimal, ROUND_HALF_UP, getcontext, localcontext

getcontext().prec = 60

US_PER_S = 1_000_000
US_PER_DAY = 86_400 * US_PER_S

# Unicode White_Space property (what "trimmed" means here).
_WS = ("\u0009\u000a\u000b\u000c\u000d\u0020\u0085\u00a0\u1680"
       "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
       "\u2028\u2029\u202f\u205f\u3000")


def trim(s):
    return s.strip(_WS)


# ---------------------------------------------------------------- amounts
AMOUNT_RE = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")  # \d is ASCII-only on purpose
MICRO = Decimal("0.000001")


def parse_amount(raw):
    """Return rounded amount as integer micro-units, or None."""
    s = trim(raw)
    if not AMOUNT_RE.fullmatch(s):
        return None
    with localcontext() as ctx:
        ctx.prec = max(60, len(s) + 10)  # exact for any digit count
        d = Decimal(s).quantize(MICRO, rounding=ROUND_HALF_UP)  # HALF_UP == half away from zero
        return int(d.scaleb(6))


def fmt_cents(micro):
    """Round micro-units half away from zero to cents and print with 2 decimals."""
    neg = micro < 0
    a = -micro if neg else micro
    cents = (a + 5_000) // 10_000
    s = "%d.%02d" % divmod(cents, 100)
    return ("-" + s) if (neg and cents != 0) else s


# ---------------------------------------------------------------- time
TS_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?([Zz]|[+-][0-9]{2}:[0-9]{2})?)?")


def _days_from_civil(y, m, d):
    # Howard Hinnant's algorithm, proleptic Gregorian, valid for year 0 too.
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _days_in_month(y, m):
    if m == 2:
        return 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28
    return 30 if m in (4, 6, 9, 11) else 31


def parse_instant(raw):
    """Return microseconds since epoch (UTC), or None. Finer-than-us digits truncated."""
    m = TS_RE.fullmatch(raw)
    if not m:
        return None
    y, mo, d = int(m[1]), int(m[2]), int(m[3])
    if not (1 <= mo <= 12) or not (1 <= d <= _days_in_month(y, mo)):
        return None
    days = _days_from_civil(y, mo, d)
    if m[4] is None:
        return days * US_PER_DAY
    hh, mi, ss = int(m[4]), int(m[5]), int(m[6])
    if hh > 23 or mi > 59 or ss > 59:
        return None
    frac = m[7] or ""
    us = int((frac + "000000")[:6])
    off = 0
    z = m[8]
    if z and z not in ("Z", "z"):
        oh, om = int(z[1:3]), int(z[4:6])
        if oh > 23 or om > 59:
            return None
        off = (oh * 3600 + om * 60) * (1 if z[0] == "+" else -1)
    secs = days * 86_400 + hh * 3600 + mi * 60 + ss - off
    return secs * US_PER_S + us


# ---------------------------------------------------------------- segments
# (id, label, r-range, fm-range); first match wins.
SEGMENTS = [
    ("champions", "Champions", (5, 5), (4, 5)),
    ("loyal_customers", "Loyal Customers", (3, 4), (4, 5)),
    ("potential_loyalist", "Potential Loyalist", (4, 5), (2, 3)),
    ("new_customers", "New Customers", (5, 5), (1, 1)),
    ("promising", "Promising", (4, 4), (1, 1)),
    ("need_attention", "Need Attention", (3, 3), (3, 3)),
    ("about_to_sleep", "About To Sleep", (3, 3), (1, 2)),
    ("cant_lose_them", "Can't Lose Them", (1, 2), (5, 5)),
    ("at_risk", "At Risk", (1, 2), (3, 4)),
    ("lost", "Lost", (1, 1), (1, 1)),
    ("hibernating", "Hibernating", (1, 2), (1, 2)),
]


def segment(r, f, m):
    fm = (f + m + 1) // 2
    for _id, label, (rl, rh), (fl, fh) in SEGMENTS:
        if rl <= r <= rh and fl <= fm <= fh:
            return label
    raise SystemExit("config error: cell r=%d f=%d m=%d unmatched" % (r, f, m))


def quantile_scores(values, bins):
    n = len(values)
    srt = sorted(values)
    out = []
    for v in values:
        rank = 1 + bisect.bisect_left(srt, v)
        out.append(1 + (bins * (rank - 1)) // n)
    return out


# ---------------------------------------------------------------- output
def csv_field(s):
    if any(c in s for c in ',"\r\n'):
        return '"' + s.replace('"', '""') + '"'
    return s


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", required=True)
    ap.add_argument("--asof", required=True)
    ap.add_argument("--window-days", type=int, default=730)
    ap.add_argument("--bins", type=int, default=5)
    ap.add_argument("--amount-column", default="amount")
    ap.add_argument("--out")
    a = ap.parse_args(argv)
    if not 2 <= a.bins <= 9:
        raise SystemExit("bins must be 2..9")
    if a.bins != 5:
        raise SystemExit("bins != 5 needs an explicit segment map (not supported here)")
    if a.window_days < 1:
        raise SystemExit("window-days must be >= 1")
    asof = parse_instant(a.asof)
    if asof is None:
        raise SystemExit("bad --asof")
    lo = asof - a.window_days * US_PER_DAY  # exclusive

    with open(a.orders, "rb") as fh:
        text = fh.read().decode("utf-8", "surrogateescape")
    if text.startswith("\ufeff"):
        text = text[1:]  # UTF-8 byte order mark is not part of the header
    rows = csv.reader(io.StringIO(text, newline=""), strict=False)
    header = next(rows)
    need = ["order_id", "customer_id", "closed_at", a.amount_column, "status"]
    try:
        idx = {k: header.index(k) for k in need}
    except ValueError as e:
        raise SystemExit("missing column: %s" % e)

    skipped = Counter()
    # customer -> [frequency, last_purchase_us, monetary_micro]
    cust = {}
    total = qualifying = 0
    for row in rows:
        if not row:
            continue  # blank line
        total += 1
        if len(row) <= max(idx.values()):  # extra trailing fields are ignored
            skipped["malformed_row"] += 1
            continue
        if trim(row[idx["status"]]).lower() != "won":
            skipped["not_won"] += 1
            continue
        cid = trim(row[idx["customer_id"]])
        if cid == "":
            skipped["missing_customer"] += 1
            continue
        amt = parse_amount(row[idx[a.amount_column]])
        if amt is None:
            skipped["bad_amount"] += 1
            continue
        t = parse_instant(row[idx["closed_at"]])
        if t is None:
            skipped["bad_closed_at"] += 1
            continue
        if t > asof:
            skipped["after_asof"] += 1
            continue
        if t <= lo:
            skipped["before_window"] += 1
            continue
        qualifying += 1
        c = cust.setdefault(cid, [0, None, 0])
        c[2] += amt
        if amt >= 0:
            c[0] += 1
            if c[1] is None or t > c[1]:
                c[1] = t

    scored = sorted(((k, v) for k, v in cust.items() if v[0] > 0),
                    key=lambda kv: kv[0].encode("utf-8", "surrogateescape"))
    rs = quantile_scores([v[1] for _, v in scored], a.bins)
    fs = quantile_scores([v[0] for _, v in scored], a.bins)
    ms = quantile_scores([v[2] for _, v in scored], a.bins)

    out = ["customer_id,recency_days,frequency,monetary,r,f,m,rfm,segment\n"]
    for i, (cid, (freq, last, mon)) in enumerate(scored):
        r, f, m = rs[i], fs[i], ms[i]
        out.append(",".join([csv_field(cid), str((asof - last) // US_PER_DAY), str(freq),
                             fmt_cents(mon), str(r), str(f), str(m), "%d%d%d" % (r, f, m),
                             csv_field(segment(r, f, m))]) + "\n")
    data = "".join(out).encode("utf-8", "surrogateescape")
    if a.out:
        with open(a.out, "wb") as fh:
            fh.write(data)
    else:
        sys.stdout.buffer.write(data)
    print("refscore: %d rows, %d qualifying, %d customers scored" % (total, qualifying, len(scored)),
          file=sys.stderr)
    print("skipped: " + " ".join("%s=%d" % kv for kv in sorted(skipped.items())), file=sys.stderr)


if __name__ == "__main__":
    main()
