// Command duckbench runs the rfmsync scoring contract (README "The scoring
// contract", quantile scores on 5 bins, the default 11-segment map) as one
// DuckDB SQL job, so `rfmsync score` can be timed against DuckDB on the same
// file. It writes the CSV `rfmsync score` writes: same header, same columns,
// same row order, same formatting.
//
//	duckbench --orders orders.csv --asof 2025-07-01T00:00:00Z --window-days 730 --out duck.csv --threads 2
//
// It is its own Go module so the main module never links DuckDB.
package main

import (
	"database/sql"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

// microsPerDay is the contract's day, exactly 86,400 s, in microseconds.
const microsPerDay = 86_400 * 1_000_000

// whitespace is what "trimmed" means in the contract: Unicode White_Space,
// the set Go's strings.TrimSpace removes. DuckDB's trim() alone strips only
// ASCII spaces.
var whitespace = []rune{
	'\t', '\n', '\v', '\f', '\r', ' ', 0x85, 0xA0, 0x1680,
	0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A,
	0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
}

// wsClass is whitespace as an RE2 character class.
var wsClass = func() string {
	var b strings.Builder
	b.WriteByte('[')
	for _, r := range whitespace {
		fmt.Fprintf(&b, `\x{%X}`, r)
	}
	b.WriteByte(']')
	return b.String()
}()

// amountRE is the contract's amount grammar, ASCII digits only.
const amountRE = `[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)`

// instantRE is the contract's closed_at grammar, strictly: DuckDB's own
// TIMESTAMPTZ cast also takes 24:00:00, offsets like +0200, +24:00 or
// +02:60 and other shapes the contract rejects, so the cast only runs on
// strings this accepts. Day-of-month validity is left to the cast, which
// rejects 2025-02-29.
const instantRE = `[0-9]{4}-[0-9]{2}-[0-9]{2}` +
	`([Tt ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)?`

func main() {
	orders := flag.String("orders", "", "orders CSV with order_id,customer_id,closed_at,amount,status")
	asofFlag := flag.String("asof", "", "reference instant, RFC 3339 or YYYY-MM-DD")
	windowDays := flag.Int("window-days", 730, "look-back window in days")
	out := flag.String("out", "", "scores CSV to write")
	threads := flag.Int("threads", 2, "DuckDB worker threads")
	explain := flag.Bool("explain", false, "print the query and DuckDB's profiled plan (EXPLAIN ANALYZE) instead of writing --out")
	lenient := flag.Bool("lenient", false, "read rows with DuckDB's own trim and casts instead of the contract's grammar (a bound, not the contract)")
	flag.Parse()
	if *orders == "" || *asofFlag == "" || *out == "" {
		fail("--orders, --asof and --out are required")
	}
	if *windowDays < 1 || *threads < 1 {
		fail("--window-days and --threads must be positive")
	}
	asof, err := parseAsOf(*asofFlag)
	if err != nil {
		fail("--asof: %v", err)
	}
	start := time.Now()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		fail("open duckdb: %v", err)
	}
	defer db.Close()
	// One connection: the SET statements must apply to the query's session.
	db.SetMaxOpenConns(1)
	for _, s := range []string{
		fmt.Sprintf("SET threads = %d", *threads),
		// Instants without an offset are UTC, whatever the machine's zone.
		"SET TimeZone = 'UTC'",
		// The contract's trim. trim(s, chars) with a 25-character set costs
		// about 0.5 µs a value, so it runs only on the rare values that
		// start or end with white space.
		fmt.Sprintf("CREATE TEMP MACRO ctrim(s) AS CASE WHEN regexp_matches(s, %s) THEN trim(s, %s) ELSE s END",
			quote("^"+wsClass+"|"+wsClass+"$"), sqlChars(whitespace)),
	} {
		if _, err := db.Exec(s); err != nil {
			fail("%s: %v", s, err)
		}
	}
	rules := contractRules
	if *lenient {
		rules = lenientRules
	}
	query := scoreQuery(*orders, asof, *windowDays, rules)
	if *explain {
		fmt.Println(query)
		var kind, plan string
		if err := db.QueryRow("EXPLAIN ANALYZE "+query).Scan(&kind, &plan); err != nil {
			fail("explain: %v", err)
		}
		fmt.Println(plan)
		return
	}
	res, err := db.Exec(fmt.Sprintf("COPY (%s) TO %s (FORMAT csv, HEADER true, DELIMITER ',')", query, quote(*out)))
	if err != nil {
		fail("score: %v", err)
	}
	n, _ := res.RowsAffected()
	reportRejects(db)
	mode := "contract"
	if *lenient {
		mode = "lenient"
	}
	fmt.Fprintf(os.Stderr, "duckdb %s, %d threads, %s rules: %d customers scored in %.3f s\n",
		version(db), *threads, mode, n, time.Since(start).Seconds())
}

// rowRules are the SQL expressions that read one order row.
type rowRules struct {
	cust, amount, amt, t, won string
}

// contractRules read a row by the contract. Each value is validated by
// the contract's grammar before DuckDB's own cast sees it, since the casts
// accept more (and trim less) than the contract does.
var contractRules = rowRules{
	cust:   "ctrim(customer_id)",
	amount: "ctrim(amount)",
	// CAST, not TRY_CAST: an amount DECIMAL(18,6) cannot hold (|x| >= 1e12)
	// fails the job instead of silently dropping the order.
	amt: "CASE WHEN regexp_full_match(amount, " + quote(amountRE) + ") THEN CAST(amount AS DECIMAL(18, 6)) END",
	// DuckDB's cast wants upper-case T and Z; it truncates digits past the
	// microsecond, as the contract does.
	t: "CASE WHEN regexp_full_match(closed_at, " + quote(instantRE) + ") " +
		"THEN epoch_us(TRY_CAST(upper(closed_at) AS TIMESTAMPTZ)) END",
	// Trimmed, case-insensitive "won" as one match, no trimmed copy; OR runs
	// the match only on the rows that are not plainly 'won'.
	won: "status = 'won' OR regexp_full_match(status, " + quote(wsClass+"*[Ww][Oo][Nn]"+wsClass+"*") + ")",
}

// lenientRules are what a quick DuckDB query would write: DuckDB's own
// trim and casts, no grammar. Not the contract (it takes 24:00:00, +0200,
// 1e3 and misses Unicode white space), but equal on a clean book such as
// genorders': its timing bounds what the validation costs DuckDB.
var lenientRules = rowRules{
	cust:   "trim(customer_id)",
	amount: "trim(amount)",
	amt:    "TRY_CAST(amount AS DECIMAL(18, 6))",
	t:      "epoch_us(TRY_CAST(closed_at AS TIMESTAMPTZ))",
	won:    "lower(trim(status)) = 'won'",
}

// scoreQuery is the whole contract as one SELECT whose rows are the output
// CSV's, in its order.
func scoreQuery(orders string, asof int64, windowDays int, rules rowRules) string {
	lo := asof - int64(windowDays)*microsPerDay // exclusive
	r := strings.NewReplacer(
		"$FILE", quote(orders),
		"$CUST", rules.cust,
		"$RAWAMOUNT", rules.amount,
		"$AMT", rules.amt,
		"$INSTANT", rules.t,
		"$WON", rules.won,
		"$ASOF", fmt.Sprint(asof),
		"$LO", fmt.Sprint(lo),
		"$DAY", fmt.Sprint(microsPerDay),
	)
	return r.Replace(`
WITH src AS (
  -- Every column as text: the parsing rules are the contract's, not the
  -- sniffer's. A row with too few fields is skipped (store_rejects, which
  -- also counts it) and extra trailing fields are ignored (strict_mode =
  -- false), as rfmsync does; null_padding would do the former but stops
  -- the parallel reader on quoted line breaks.
  SELECT $CUST AS cust,
         $RAWAMOUNT AS amount,
         closed_at,
         status
  FROM read_csv($FILE, header = true, all_varchar = true, delim = ',', quote = '"',
                escape = '"', strict_mode = false, store_rejects = true)
),
parsed AS (
  SELECT cust, $AMT AS amt, $INSTANT AS t
  FROM src
  -- The empty customer is dropped after grouping (HAVING): a test here
  -- would be pushed below the projection and trim every id twice.
  WHERE $WON
),
agg AS (
  -- The window test sits in the aggregates' FILTERs, not in a WHERE: a
  -- WHERE is pushed below the projection and DuckDB then parses amount and
  -- closed_at twice, once to filter and once to aggregate.
  SELECT cust,
         count(*) FILTER (WHERE ok AND amt >= 0) AS frequency,
         max(t) FILTER (WHERE ok AND amt >= 0) AS last_us,
         sum(amt) FILTER (WHERE ok) AS monetary
  FROM (SELECT cust, amt, t, amt IS NOT NULL AND t > $LO AND t <= $ASOF AS ok FROM parsed)
  GROUP BY cust
  HAVING count(*) FILTER (WHERE ok AND amt >= 0) > 0 AND cust <> ''
),
ranked AS (
  -- rank() is 1 + the number of rows with a strictly smaller value, the
  -- contract's rank; ties share it.
  SELECT *,
         count(*) OVER () AS n,
         rank() OVER (ORDER BY last_us) AS r_rank,
         rank() OVER (ORDER BY frequency) AS f_rank,
         rank() OVER (ORDER BY monetary) AS m_rank
  FROM agg
),
scored AS (
  SELECT cust, last_us, frequency, monetary,
         1 + 5 * (r_rank - 1) // n AS r,
         1 + 5 * (f_rank - 1) // n AS f,
         1 + 5 * (m_rank - 1) // n AS m
  FROM ranked
)
SELECT cust AS customer_id,
       ($ASOF - last_us) // $DAY AS recency_days,
       frequency,
       -- The downscaling cast rounds half away from zero, like Round2.
       CAST(monetary AS DECIMAL(38, 2)) AS monetary,
       r, f, m,
       concat(r, f, m) AS rfm,
       -- The default 11-segment map on r and fm = floor((f + m + 1) / 2),
       -- first match wins.
       CASE
         WHEN r = 5 AND (f + m + 1) // 2 BETWEEN 4 AND 5 THEN 'Champions'
         WHEN r BETWEEN 3 AND 4 AND (f + m + 1) // 2 BETWEEN 4 AND 5 THEN 'Loyal Customers'
         WHEN r BETWEEN 4 AND 5 AND (f + m + 1) // 2 BETWEEN 2 AND 3 THEN 'Potential Loyalist'
         WHEN r = 5 AND (f + m + 1) // 2 = 1 THEN 'New Customers'
         WHEN r = 4 AND (f + m + 1) // 2 = 1 THEN 'Promising'
         WHEN r = 3 AND (f + m + 1) // 2 = 3 THEN 'Need Attention'
         WHEN r = 3 AND (f + m + 1) // 2 BETWEEN 1 AND 2 THEN 'About To Sleep'
         WHEN r BETWEEN 1 AND 2 AND (f + m + 1) // 2 = 5 THEN 'Can''t Lose Them'
         WHEN r BETWEEN 1 AND 2 AND (f + m + 1) // 2 BETWEEN 3 AND 4 THEN 'At Risk'
         WHEN r = 1 AND (f + m + 1) // 2 = 1 THEN 'Lost'
         WHEN r BETWEEN 1 AND 2 AND (f + m + 1) // 2 BETWEEN 1 AND 2 THEN 'Hibernating'
       END AS segment
FROM scored
ORDER BY cust`)
}

// parseAsOf reads the reference instant as the contract reads closed_at
// (offset honoured, none means UTC, a date alone is 00:00 UTC), truncated
// to the microsecond.
func parseAsOf(s string) (int64, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Unix()*1_000_000 + int64(t.Nanosecond()/1_000), nil
		}
	}
	return 0, fmt.Errorf("%q is not RFC 3339 or YYYY-MM-DD", s)
}

// sqlChars spells a set of characters as a constant SQL expression.
func sqlChars(rs []rune) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = fmt.Sprintf("chr(%d)", r)
	}
	return "(" + strings.Join(parts, " || ") + ")"
}

// quote makes s a SQL string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// reportRejects prints the rows DuckDB's reader dropped (it logs one error
// per missing field, hence the distinct lines). Too few fields is
// the contract's malformed_row; anything else (invalid UTF-8, which DuckDB
// cannot hold in a VARCHAR and rfmsync reads as bytes) is not the contract
// and is flagged.
func reportRejects(db *sql.DB) {
	rows, err := db.Query("SELECT error_type, count(DISTINCT (scan_id, file_id, line)) FROM reject_errors GROUP BY ALL ORDER BY ALL")
	if err != nil {
		fail("read reject_errors: %v", err)
	}
	defer rows.Close()
	var parts []string
	for rows.Next() {
		var kind string
		var n int64
		if err := rows.Scan(&kind, &n); err != nil {
			fail("read reject_errors: %v", err)
		}
		parts = append(parts, fmt.Sprintf("%s=%d", kind, n))
		if kind != "MISSING COLUMNS" {
			fmt.Fprintf(os.Stderr, "warning: DuckDB dropped %d rows as %s; rfmsync would read them\n", n, kind)
		}
	}
	if err := rows.Err(); err != nil {
		fail("read reject_errors: %v", err)
	}
	if len(parts) > 0 {
		fmt.Fprintf(os.Stderr, "rejected by the CSV reader: %s\n", strings.Join(parts, " "))
	}
}

func version(db *sql.DB) string {
	var v string
	if err := db.QueryRow("SELECT version()").Scan(&v); err != nil {
		return "?"
	}
	return v
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "duckbench: "+format+"\n", args...)
	os.Exit(2)
}
