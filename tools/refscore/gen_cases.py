#!/usr/bin/env python3
"""Generate adversarial order CSVs for the rfmsync scoring contract.

Usage: gen_cases.py OUTDIR
Writes OUTDIR/<case>.csv and OUTDIR/manifest.tsv with lines:
    name<TAB>file<TAB>asof<TAB>window_days<TAB>extra args (space separated, may be empty)
No floats are used for amounts or instants.
"""
import os
import random
import sys

HDR = ["order_id", "customer_id", "closed_at", "amount", "status"]
US = 1_000_000
DAY = 86_400 * US


def days_from_civil(y, m, d):
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(z):
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return y + (m <= 2), m, d


def fmt(us, off_min=0, sep="T", frac_digits=None, extra="", zone="Z"):
    """Render instant `us` (UTC micros) as text. zone: 'Z', 'off', 'none'.
    frac_digits: None = auto (6 if micros != 0 else none), int = exactly that many
    (digits beyond 6 are `extra` padding, which must be truncated by a parser)."""
    local = us + off_min * 60 * US
    days, rem = divmod(local, DAY)
    y, m, d = civil_from_days(days)
    secs, micro = divmod(rem, US)
    hh, mi, ss = secs // 3600, secs // 60 % 60, secs % 60
    s = "%04d-%02d-%02d%s%02d:%02d:%02d" % (y, m, d, sep, hh, mi, ss)
    ms = "%06d" % micro
    if frac_digits is None:
        if micro:
            s += "." + ms
    elif frac_digits > 0:
        digs = (ms + extra + "0" * 9)[:frac_digits]
        if frac_digits < 6:
            assert ms[frac_digits:] == "0" * (6 - frac_digits), "lossy"
        s += "." + digs
    if zone == "Z":
        assert off_min == 0
        s += "Z"
    elif zone == "off":
        sign = "+" if off_min >= 0 else "-"
        a = abs(off_min)
        s += "%s%02d:%02d" % (sign, a // 60, a % 60)
    elif zone == "none":
        assert off_min == 0
    return s


def ts(y, m, d, hh=0, mi=0, ss=0, us=0):
    return ((days_from_civil(y, m, d) * 86400 + hh * 3600 + mi * 60 + ss) * US) + us


class Case:
    def __init__(self, name, asof, window=730, extra="", header=None):
        self.name, self.asof, self.window, self.extra = name, asof, window, extra
        self.header = header or HDR
        self.rows = []
        self.n = 0
        self.raw = None  # raw bytes override

    def add(self, cust, closed, amount, status="won", **other):
        self.n += 1
        rec = {"order_id": str(other.pop("order_id", self.n)), "customer_id": cust,
               "closed_at": closed, "amount": amount, "status": status}
        rec.update(other)
        self.rows.append(rec)


def q(s):
    if any(c in s for c in ',"\r\n') or s != s.strip(" "):
        return '"' + s.replace('"', '""') + '"'
    return s


def write(outdir, cases):
    with open(os.path.join(outdir, "manifest.tsv"), "w") as man:
        for c in cases:
            fn = os.path.join(outdir, c.name + ".csv")
            if c.raw is not None:
                data = c.raw
            else:
                lines = [",".join(c.header)]
                for r in c.rows:
                    lines.append(",".join(q(r.get(h, "")) for h in c.header))
                data = ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")
            with open(fn, "wb") as fh:
                fh.write(data)
            man.write("%s\t%s\t%s\t%d\t%s\n" % (c.name, fn, c.asof, c.window, c.extra))


ASOF = "2024-06-30T12:00:00Z"
A = ts(2024, 6, 30, 12)


def z(us):
    return fmt(us)


def cases():
    out = []

    # --- ties exactly at score boundaries (N=10, bins 5 => boundaries every 2 ranks)
    c = Case("ties_boundaries", ASOF)
    freqs = [1, 1, 2, 2, 2, 3, 3, 4, 5, 5]
    for i, fcount in enumerate(freqs):
        for k in range(fcount):
            c.add("c%02d" % i, z(A - (i % 4) * DAY - k * US), "10.00")
    # monetary ties via exact decimal: 10.10+20.20 vs 30.30, and 0.1+0.2 vs 0.3
    c.add("m1", z(A - 5 * DAY), "10.10"); c.add("m1", z(A - 5 * DAY), "20.20")
    c.add("m2", z(A - 5 * DAY), "30.30")
    c.add("m3", z(A - 5 * DAY), "0.1"); c.add("m3", z(A - 5 * DAY), "0.2"); c.add("m3", z(A - 4 * DAY), "29.999999")
    c.add("m4", z(A - 5 * DAY), "0.3"); c.add("m4", z(A - 4 * DAY), "29.9999995")  # rounds to 30.000000 -> 30.30
    # same instant, different offsets -> R tie
    t = A - 3 * DAY - 7 * US
    c.add("t1", fmt(t, 330, zone="off"), "5")
    c.add("t2", fmt(t, -480, zone="off"), "5")
    c.add("t3", fmt(t, zone="none"), "5")
    c.add("t4", fmt(t + 1, zone="Z"), "5")  # 1us later -> strictly later
    # recency_days equal but instants differ (R ranks on instant, not days)
    c.add("d1", z(A - 10 * DAY + 1), "5")
    c.add("d2", z(A - 10 * DAY - DAY + 1), "5")
    c.add("d3", z(A - 10 * DAY - DAY + 2), "5")
    out.append(c)

    # --- refunds larger than purchases, refund-only customers, refunds affecting last purchase
    c = Case("refunds", ASOF)
    c.add("r1", z(A - 10 * DAY), "10"); c.add("r1", z(A - 9 * DAY), "-50")  # monetary -40
    c.add("r2", z(A - 10 * DAY), "-5")  # refund only -> omitted
    c.add("r3", z(A - 20 * DAY), "100"); c.add("r3", z(A - 1 * DAY), "-100")  # monetary 0, last = 20d
    c.add("r4", z(A - 20 * DAY), "100"); c.add("r4", z(A - 800 * DAY), "-100")  # refund outside window ignored
    c.add("r5", z(A - 800 * DAY), "100"); c.add("r5", z(A - 2 * DAY), "-30")  # only refund in window -> omitted
    c.add("r6", z(A - 3 * DAY), "0"); c.add("r6", z(A - 3 * DAY), "-0.004")  # monetary -0.004 -> prints 0.00?
    c.add("r7", z(A - 3 * DAY), "0"); c.add("r7", z(A - 3 * DAY), "-0.005")  # -0.01
    c.add("r8", z(A - 3 * DAY), "1.005"); c.add("r8", z(A - 3 * DAY), "-2.01")  # -1.005 -> -1.01
    c.add("r9", z(A - 4 * DAY), "5"); c.add("r9", z(A - 4 * DAY), "-5", status="lost")
    c.add("r10", z(A - 4 * DAY), "-0"); c.add("r10", z(A - 5 * DAY), "-0.0")  # -0 is a purchase (>=0)
    c.add("r11", z(A - 6 * DAY), "2"); c.add("r11", z(A - 6 * DAY), "-1000000.005")
    out.append(c)

    # --- zero and sub-micro amounts
    c = Case("submicro", ASOF)
    for i, amt in enumerate(["0.0000004", "-0.0000005", "0.0000005", "-0.0000004", "0.0000015",
                             "-0.0000015", "0", "0.000000", "-0.0000004999999", "0.00000049999999999",
                             "0.0049999", "0.005", "-0.005", "0.0050000", "0.004999999", "0.0049995",
                             "-0.0049995", "0.0000005000000000000000001"]):
        c.add("s%02d" % i, z(A - (i + 1) * DAY), amt)
        c.add("s%02d" % i, z(A - (i + 1) * DAY), "1")
        c.add("x%02d" % i, z(A - (i + 1) * DAY), amt)  # alone
    # many sub-micro refunds summing: each -0.0000005 -> -0.000001
    for k in range(7):
        c.add("y00", z(A - DAY), "-0.0000005")
    c.add("y00", z(A - DAY), "0.000004")
    out.append(c)

    # --- many digits, leading +, odd-but-valid forms
    c = Case("digits", ASOF)
    for i, amt in enumerate(["+000123.4567894999999999999999", "+.5", "5.", "-.0000005", "+0", "-0.",
                             "00000000000000000000000000001.000000500", "  12.5  ", "\t7\t", "+1.9999995",
                             "999999.9999995", "1.23456749999999999999999999999999999999999999999999999999999999999999",
                             "0.1234565", "-0.1234565", "+.0000005", "1.0000004999", "3.14159265358979323846"]):
        c.add("d%02d" % i, z(A - (i + 1) * DAY), amt)
    out.append(c)

    # --- huge amounts (beyond int64 micro-units) - exact decimal sum per contract
    c = Case("huge_amounts", ASOF)
    c.add("h1", z(A - DAY), "9223372036854.775807")
    c.add("h1", z(A - DAY), "0.000001")
    c.add("h2", z(A - DAY), "12345678901234567890.1234565")
    c.add("h3", z(A - DAY), "99999999999999999999999999999999999999999999999999.995")
    c.add("h4", z(A - DAY), "5000000000000")
    c.add("h4", z(A - DAY), "5000000000000")
    c.add("h5", z(A - 2 * DAY), "1")
    out.append(c)

    # --- sums beyond 2**127 micro-units (amounts each individually modest for the type)
    c = Case("sum_overflow", ASOF)
    big = "9" * 32
    c.add("o1", z(A - DAY), big); c.add("o1", z(A - DAY), big)           # 2e32 - 2
    c.add("o2", z(A - DAY), "-" + big); c.add("o2", z(A - DAY), "-" + big); c.add("o2", z(A - DAY), "1")
    c.add("o3", z(A - DAY), "170141183460469231731687303715884.105727")  # (2**127-1)/1e6
    c.add("o4", z(A - DAY), "170141183460469231731687303715884.105728")  # one micro more
    c.add("o5", z(A - 2 * DAY), "1"); c.add("o6", z(A - 3 * DAY), "2")
    out.append(c)

    # --- window and asof boundaries
    for W in (730, 30, 1, 36500):
        c = Case("window_%d" % W, ASOF, window=W)
        lo = A - W * DAY
        pts = {"lo_m1": lo - 1, "lo": lo, "lo_p1": lo + 1, "asof_m1": A - 1, "asof": A, "asof_p1": A + 1}
        for name, t in pts.items():
            c.add("w_" + name, z(t), "10")
            c.add("wo_" + name, fmt(t, 330, zone="off"), "10")  # same instant, +05:30
            c.add("wn_" + name, fmt(t, -480, zone="off"), "10")  # same instant, -08:00
            c.add("both", z(t), "1")
        # recency floor edges
        c.add("rec_1d", z(A - DAY), "1"); c.add("rec_1d_m1", z(A - DAY + 1), "1"); c.add("rec_1d_p1", z(A - DAY - 1), "1")
        # sub-micro digits beyond window edges: truncation, not rounding
        c.add("trunc_lo", fmt(lo, frac_digits=9, extra="999", zone="Z").replace(".000000999", ".000000999"), "1")
        c.add("trunc_hi", fmt(A, frac_digits=9, extra="999", zone="Z"), "1")  # .000000999 -> .000000 == asof -> in
        c.add("trunc_hi2", fmt(A - 1, frac_digits=7, extra="9", zone="Z"), "1")  # ...999999|9 -> asof-1 (in)
        out.append(c)

    # --- midnight asof, date-only values at the edges
    c = Case("dateonly", "2024-03-01T00:00:00Z", window=60)
    A2 = ts(2024, 3, 1)
    c.add("do_asof", "2024-03-01", "5")            # == asof -> in, recency 0
    c.add("do_after", "2024-03-02", "5")           # after
    c.add("do_lo", "2024-01-01", "5")              # asof-60d == 2024-01-01 -> excluded
    c.add("do_lo_p1", "2024-01-02", "5")
    c.add("do_leap", "2024-02-29", "5")
    c.add("do_badleap", "2023-02-29", "5")
    c.add("do_mix", "2024-02-10", "5"); c.add("do_mix", "2024-02-10T00:00:00Z", "5"); c.add("do_mix", "2024-02-09T16:00:00-08:00", "5")
    c.add("do_off", "2024-02-29T23:30:00-01:00", "5")  # = 2024-03-01T00:30Z -> after asof
    c.add("do_off2", "2024-03-01T05:29:59.999999+05:30", "5")  # = asof-1us -> in
    c.add("do_off3", "2024-03-01T05:30:00+05:30", "5")  # = asof -> in
    c.add("do_off4", "2024-01-01T05:30:00.000001+05:30", "5")  # = lo+1us -> in
    c.add("do_off5", "2024-01-01T05:30:00+05:30", "5")  # = lo -> out
    out.append(c)

    # --- timestamp formats
    c = Case("formats", ASOF)
    t = A - 5 * DAY + 123456
    c.add("f_z", fmt(t), "1")
    c.add("f_none", fmt(t, zone="none"), "1")
    c.add("f_space", fmt(t, sep=" "), "1")
    c.add("f_space_off", fmt(t, 330, sep=" ", zone="off"), "1")
    c.add("f_space_none", fmt(t, sep=" ", zone="none"), "1")
    c.add("f_p0000", fmt(t, 0, zone="off"), "1")
    c.add("f_m0000", fmt(t, 0, zone="off").replace("+00:00", "-00:00"), "1")
    c.add("f_p1400", fmt(t, 14 * 60, zone="off"), "1")
    c.add("f_m1200", fmt(t, -12 * 60, zone="off"), "1")
    c.add("f_p2359", fmt(t, 23 * 60 + 59, zone="off"), "1")
    for nd in range(1, 10):
        tt = A - 6 * DAY
        c.add("f_frac%d" % nd, fmt(tt + (123456 if nd >= 6 else 0), frac_digits=nd, extra="987", zone="Z"), "1")
    c.add("f_frac_trunc", fmt(A - 7 * DAY + 999999, frac_digits=9, extra="999", zone="Z"), "1")
    c.add("f_frac_trunc_off", fmt(A - 7 * DAY + 999999, -480, frac_digits=12, extra="999999", zone="off"), "1")
    c.add("f_frac_long", fmt(A - 7 * DAY + 1, frac_digits=6, zone="Z")[:-1] + "0" * 30 + "Z", "1")
    c.add("f_y0001", "0001-01-01T00:00:00Z", "1")  # far outside window -> omitted
    c.add("f_y9999", "9999-12-31T23:59:59.999999Z", "1")  # after asof
    c.add("f_dec31", fmt(ts(2023, 12, 31, 23, 59, 59), zone="Z"), "1")
    c.add("f_crossday", "2024-06-30T01:00:00+05:30", "1")  # = 2024-06-29T19:30Z
    c.add("f_crossday2", "2024-06-29T22:00:00-08:00", "1")  # = 2024-06-30T06:00Z
    c.add("f_crossday3", "2024-06-30T04:00:00-08:00", "1")  # = 12:00Z == asof -> in
    c.add("f_crossday4", "2024-06-30T04:00:01-08:00", "1")  # after
    out.append(c)

    # --- unparseable fields of every kind (each bad row next to a good one)
    c = Case("unparseable", ASOF)
    good_t = z(A - 3 * DAY)
    bad_status = ["lost", "", "wonn", "wo n", "open", "won.", "\"won\"", "w0n", "WON!", "no", "1"]
    ok_status = ["won", "WON", "Won", " won ", "\twon\t", "wOn", " WON"]
    for i, s in enumerate(bad_status):
        c.add("st_bad%02d" % i, good_t, "7", status=s); c.add("st_bad%02d" % i, z(A - 9 * DAY), "1")
    for i, s in enumerate(ok_status):
        c.add("st_ok%02d" % i, good_t, "7", status=s)
    for cid in ["", "   ", "\t", " \t "]:
        c.add(cid, good_t, "7")
    bad_amount = ["1e3", "1E3", "1,000", "1,5", "$5", "5€", "€5", "NaN", "nan", "inf", "-inf", "Infinity", "", " ",
                  "1.2.3", "--1", "+-1", "-+1", ".", "+.", "-.", "+", "-", "0x10", "1_000", "1 000", "(5)",
                  "5-", "5+", "١٢", "１２", "1.5e-3", "0.5d", "½", "²", "٣.٥", "1.", "abc", "null", "5 .5", "+ 5"]
    for i, amt in enumerate(bad_amount):
        c.add("am%02d" % i, good_t, amt); c.add("am%02d" % i, z(A - 9 * DAY), "1")
    bad_ts = ["", " ", "2024-02-30", "2024-13-01", "2024-00-10", "2024-06-00", "2024-06-31", "2023-02-29",
              "2024-06-01T25:00:00Z", "2024-06-01T24:00:00Z", "2024-06-01T10:60:00Z", "2024-06-01T10:00Z",
              "2024-06-01T10:00:00+0530", "2024-06-01T10:00:00+5:30", "2024-06-01T10:00:00+05", "2024-06-01T10:00:00+24:00",
              "2024-06-01T10:00:00+05:60", "2024/06/01", "20240601", "2024-6-1", "24-06-01", "2024-06-01T10:00:00.Z",
              "2024-06-01T10:00:00,5Z", "2024-06-01T10:00:00ZZ", "2024-06-01T10:00:00 Z", "2024-06-01T",
              "2024-06-01T10:00:00Z+05:30", "2024-06-01X10:00:00Z", "2024-06-01  10:00:00Z", "2024-06-01Z",
              "2024-06-01+05:30", "June 1, 2024", "1717236000", "2024-06-01T1:00:00Z", "2024-06-01T10:0:00Z",
              "2024-06-01T10:00:0Z", "２０２４-06-01", "2024-06-01T10:00:00UTC", "2024-06-01T10:00:00 +05:30",
              "+2024-06-01", "-2024-06-01", "2024-06-01T10:00:00.123456789012345678901234567890x",
              "2024-06-01T10:00:00.+05:30", "2024-02-29T10:00:00-25:00"]
    for i, v in enumerate(bad_ts):
        c.add("ts%02d" % i, v, "7"); c.add("ts%02d" % i, z(A - 9 * DAY), "1")
    # customer only present in bad rows -> omitted
    c.add("only_bad", "nope", "1"); c.add("only_bad", good_t, "x"); c.add("only_bad", good_t, "1", status="lost")
    out.append(c)

    # --- readings the contract leaves to interpretation (kept separate so they can't mask others)
    c = Case("ambiguous", ASOF)
    c.add("amb_lower_t", "2024-06-27t12:00:00Z", "7")
    c.add("amb_lower_z", "2024-06-27T12:00:00z", "7")
    c.add("amb_leap60", "2016-12-31T23:59:60Z", "7")
    c.add("amb_leap60b", "2024-06-27T23:59:60Z", "7")
    c.add("amb_ts_lead_space", " 2024-06-27T12:00:00Z", "7")
    c.add("amb_ts_trail_space", "2024-06-27T12:00:00Z ", "7")
    c.add("amb_date_lead_space", " 2024-06-27", "7")
    c.add("amb_nbsp_amount", "\u00a07\u00a0", "7")
    c.add("amb_y0000", "0000-01-01T00:00:00Z", "1")
    c.add("amb_tab_space_T", "2024-06-27\t12:00:00Z", "7")
    c.add("amb_date_only_z", "2024-06-27Z", "7")
    c.add("amb_date_nofrac_space_off", "2024-06-27 12:00:00+05:30", "7")
    c.add("amb_ref", z(A - DAY), "1")
    out.append(c)

    c = Case("ambiguous_ids", ASOF)
    for cid in ["\u00a0nb\u00a0", "nb", "\u3000ideo", "ideo", "\u200bzw", "zw", "\ufeffbom", "bom",
                "\x1cfs", "fs", "\u0085nel", "nel"]:
        c.add(cid, z(A - 2 * DAY), "3")
    out.append(c)

    # --- one customer
    c = Case("one_customer", ASOF)
    c.add("solo", z(A - 100 * DAY), "42.42")
    out.append(c)
    c = Case("one_customer_many", ASOF)
    for k in range(10):
        c.add("solo", z(A - k * 37 * DAY), "%d.%03d" % (k, k))
    c.add("solo", z(A), "-999")
    out.append(c)

    # --- all customers tied
    c = Case("all_tied", ASOF)
    for i in range(7):
        c.add("tie%d" % i, z(A - 3 * DAY), "10.10"); c.add("tie%d" % i, z(A - 30 * DAY), "20.20")
    out.append(c)
    c = Case("all_tied_offsets", ASOF)
    for i, off in enumerate([0, 330, -480, 60, -60, 840, -720]):
        c.add("tie%d" % i, fmt(A - 3 * DAY, off, zone="off"), ["30.30", "30.3", "030.300", "+30.30", "30.300000", "30.3000004", "30.2999995"][i])
    out.append(c)

    # --- customer id edge cases: whitespace around, non-ASCII, byte ordering, CSV-special chars
    c = Case("ids", ASOF)
    ids = [" 42 ", "42", "\t42", "42\t", "Émile", "émile", "Zoë", "zoe", "中文", "日本", "a,b", 'q"uote', "z", "Z",
           "ß", "ss", "ǅ", "😀", "\uffff", "~", "0", "00", "-1", "a b", "A", "é", "e\u0301", "Ω", "Ω",
           "x\ny", "line\r\nbreak", "x" * 300]
    for i, cid in enumerate(ids):
        c.add(cid, z(A - (i % 9 + 1) * DAY), "%d.%02d" % (i + 1, i))
    out.append(c)

    # --- column order / extra columns / alternate amount column
    c = Case("columns", ASOF, extra="", header=["status", "note", "amount", "closed_at", "customer_id", "order_id", "amount_eur"])
    rnd = random.Random(7)
    for i in range(60):
        c.add("k%02d" % (i % 17), z(A - rnd.randrange(0, 700) * DAY - rnd.randrange(DAY)),
              "%d.%02d" % (rnd.randrange(0, 500), rnd.randrange(100)), note="x,y", amount_eur="garbage")
    out.append(c)
    c = Case("amount_column", ASOF, extra="--amount-column amount_home",
             header=["order_id", "customer_id", "closed_at", "amount", "status", "amount_home"])
    for i in range(60):
        c.add("k%02d" % (i % 17), z(A - rnd.randrange(0, 700) * DAY - rnd.randrange(DAY)),
              "not-a-number", amount_home="%d.%06d" % (rnd.randrange(-50, 500), rnd.randrange(10 ** 6)))
    out.append(c)

    # --- CSV formatting: CRLF, quoted fields
    c = Case("csv_crlf", ASOF)
    lines = [",".join(HDR)]
    for i in range(20):
        lines.append('"%d","c%d","%s","%d.5","won"' % (i, i % 6, z(A - i * DAY), i))
    c.raw = ("\r\n".join(lines) + "\r\n").encode()
    out.append(c)

    # --- no qualifying orders at all
    c = Case("empty_result", ASOF)
    c.add("e1", z(A + DAY), "5"); c.add("e2", z(A - DAY), "-5"); c.add("e3", z(A - DAY), "5", status="lost")
    out.append(c)

    # --- asof with offset and sub-microsecond digits
    c = Case("asof_offset", "2024-06-30T17:30:00.0000009+05:30")  # == A (truncated)
    c.add("ao_asof", z(A), "1"); c.add("ao_after", z(A + 1), "1"); c.add("ao_lo", z(A - 730 * DAY), "1")
    c.add("ao_lo_p1", z(A - 730 * DAY + 1), "1"); c.add("ao_1d", z(A - DAY), "1"); c.add("ao_1d_m1", z(A - DAY + 1), "1")
    out.append(c)

    # --- bigger score-boundary structures: N not divisible by bins, heavy ties
    for n in (2, 3, 4, 6, 7, 11, 13, 26):
        c = Case("boundary_n%d" % n, ASOF)
        rnd = random.Random(n)
        for i in range(n):
            k = rnd.choice([1, 1, 2, 3])
            for j in range(k):
                c.add("n%03d" % i, z(A - rnd.choice([1, 2, 2, 5]) * DAY), rnd.choice(["1", "1.00", "2", "0", "-1"]))
        out.append(c)

    # --- large random customer bases
    for seed in (1, 2, 3, 4, 5):
        out.append(random_case(seed, 5000 if seed != 5 else 20000))
    return out


def random_case(seed, ncust):
    rnd = random.Random(seed)
    W = rnd.choice([730, 365, 90])
    asof_us = ts(2024, 6, 30, 12) + rnd.randrange(DAY)
    c = Case("random_s%d_n%d" % (seed, ncust), fmt(asof_us, zone="Z"), window=W)
    ids = ["C%05d" % i for i in range(ncust)]
    if seed % 2 == 0:
        ids = [rnd.choice(["", " ", "Ü", "ü", "x"]) + s + rnd.choice(["", " ", "é"]) for s in ids]
    coarse = seed in (3, 5)  # coarse values -> many ties
    for cid in ids:
        for _ in range(rnd.choice([1, 1, 1, 2, 2, 3, 4, 6, 10])):
            # instant
            if coarse:
                t = asof_us - rnd.randrange(-3, W + 5) * DAY
            else:
                t = asof_us - rnd.randrange(-5 * DAY, (W + 20) * DAY)
            form = rnd.randrange(8)
            if form == 0:
                closed = fmt(t)
            elif form == 1:
                closed = fmt(t, rnd.choice([330, -480, 60, -210, 585, 0]), zone="off")
            elif form == 2:
                closed = fmt(t, zone="none", sep=rnd.choice("T "))
            elif form == 3:
                t0 = t - t % DAY
                y, m, d = civil_from_days(t0 // DAY)
                closed = "%04d-%02d-%02d" % (y, m, d)
            elif form == 4:
                closed = fmt(t, frac_digits=9, extra="%03d" % rnd.randrange(1000), zone="Z")
            elif form == 5:
                closed = fmt(t - t % US, frac_digits=0, zone="Z")
            elif form == 6:
                closed = fmt(t, rnd.choice([330, -480]), sep=" ", zone="off")
            else:
                closed = fmt(t, rnd.choice([0, 120]), frac_digits=7, extra=str(rnd.randrange(10)), zone="off")
            # amount
            if coarse:
                amt = rnd.choice(["10", "10.00", "20", "5.5", "0", "-10", "100"])
            else:
                k = rnd.randrange(10)
                if k < 6:
                    nd = rnd.randrange(0, 9)
                    amt = "%d.%0*d" % (rnd.randrange(0, 5000), nd, rnd.randrange(10 ** nd))
                    if amt.endswith(".") and rnd.randrange(2):
                        amt = amt[:-1]
                elif k < 8:
                    amt = "-%d.%02d" % (rnd.randrange(0, 3000), rnd.randrange(100))
                elif k == 8:
                    amt = rnd.choice(["0", "0.0000005", "-0.0000005", "0.0000004", "+12.5", ".5", "1e2", "", "x"])
                else:
                    amt = "%d.%07d" % (rnd.randrange(0, 100), rnd.randrange(10 ** 7))
            status = rnd.choice(["won"] * 12 + ["WON", " Won ", "lost", "open", ""])
            c.add(cid, closed, amt, status=status, order_id=rnd.randrange(10 ** 6))  # order ids may repeat
    rnd.shuffle(c.rows)
    return c


if __name__ == "__main__":
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    write(outdir, cases())
