package offline

import (
	"bytes"
	"encoding/csv"
	"io"
	"unsafe"
)

// The pass splits CSV bytes itself: a line without a quote is split on
// commas in place, without a string per record. A record that holds a
// quote goes to encoding/csv (LazyQuotes, as the pass has always read), so
// quoted fields parse exactly as before. Record boundaries follow
// encoding/csv's rules: "\r\n" ends a line like "\n", a trailing '\r' at
// the end of the input is dropped, empty lines are skipped, and a quoted
// field may span lines.

// recordEnd returns the length of the record at the start of b, line
// terminator included, following encoding/csv with LazyQuotes. ok is false
// when b ends inside the record and more input could change where it ends;
// with atEOF the end of b ends any record.
func recordEnd(b []byte, atEOF bool) (n int, ok bool) {
	i := 0
fields:
	for {
		if i < len(b) && b[i] == '"' {
			i++
			for {
				j := bytes.IndexByte(b[i:], '"')
				if j < 0 {
					// An open quote: the field runs on to the end of the input.
					if atEOF {
						return len(b), true
					}
					return 0, false
				}
				i += j + 1
				rest := b[i:]
				switch {
				case len(rest) > 0 && rest[0] == '"': // "" is an escaped quote
					i++
				case len(rest) > 0 && rest[0] == ',':
					i++
					continue fields
				case len(rest) > 0 && rest[0] == '\n':
					return i + 1, true
				case len(rest) > 1 && rest[0] == '\r' && rest[1] == '\n':
					return i + 2, true
				case len(rest) == 0 || (len(rest) == 1 && rest[0] == '\r'):
					// The quote closes the last line only if nothing follows.
					if atEOF {
						return len(b), true
					}
					return 0, false
				}
				// Otherwise a lazy quote: data, and the field stays quoted.
			}
		}
		// An unquoted field runs to the next comma or the end of the line.
		for ; i < len(b); i++ {
			switch b[i] {
			case ',':
				i++
				continue fields
			case '\n':
				return i + 1, true
			}
		}
		if atEOF {
			return len(b), true
		}
		return 0, false
	}
}

// completeRecords returns the length of the longest prefix of b made of
// whole records. Lines before the first quote are records by themselves, so
// the common, quote-free input costs two byte scans.
func completeRecords(b []byte, atEOF bool) int {
	pos := 0
	for {
		rest := b[pos:]
		q := bytes.IndexByte(rest, '"')
		if q < 0 {
			if atEOF {
				return len(b)
			}
			return pos + bytes.LastIndexByte(rest, '\n') + 1
		}
		pos += bytes.LastIndexByte(rest[:q], '\n') + 1
		n, ok := recordEnd(b[pos:], atEOF)
		if !ok {
			return pos
		}
		pos += n
	}
}

// recordSink takes the records of a chunk: a quote-free line (terminator
// removed, never empty) to split in place, or the fields of a record that
// holds a quote.
type recordSink interface {
	line(b []byte)
	record(fields []string)
}

// forEachRecord hands every record of b, which holds whole records, to
// sink: quote-free lines as bytes, records holding a quote parsed by q.
// Empty lines are no records.
func forEachRecord(b []byte, q *quotedReader, sink recordSink) {
	quote := bytes.IndexByte(b, '"')
	if quote < 0 {
		quote = len(b)
	}
	for pos := 0; pos < len(b); {
		end := len(b)
		if i := bytes.IndexByte(b[pos:], '\n'); i >= 0 {
			end = pos + i + 1
		}
		if quote < end {
			n, _ := recordEnd(b[pos:], true)
			rec, err := q.read(b[pos : pos+n])
			if err != nil {
				// With LazyQuotes encoding/csv reports no syntax error; a
				// record it cannot read is malformed all the same.
				rec = nil
			}
			sink.record(rec)
			pos += n
			if quote < pos {
				if quote = bytes.IndexByte(b[pos:], '"'); quote < 0 {
					quote = len(b)
				} else {
					quote += pos
				}
			}
			continue
		}
		line := trimEOL(b[pos:end])
		pos = end
		if len(line) > 0 {
			sink.line(line)
		}
	}
}

// trimEOL removes a line's terminator: '\n', then one '\r'.
func trimEOL(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line
}

// splitFields fills fields with the comma-separated fields at the start of
// a quote-free line (terminator removed) and returns how many it filled,
// and, when fields ran out before the line did, the rest after the last
// comma cut (more). The strings alias line: valid only while its bytes are.
func splitFields(line []byte, fields []string) (n int, rest []byte, more bool) {
	for k := range fields {
		i := bytes.IndexByte(line, ',')
		if i < 0 {
			fields[k] = bytesString(line)
			return k + 1, nil, false
		}
		fields[k] = bytesString(line[:i])
		line = line[i+1:]
	}
	return len(fields), line, true
}

// bytesString views b as a string without copying; b must not change while
// the string is in use.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// quotedReader parses one record at a time with encoding/csv, reusing one
// reader: each record's bytes are fed in whole, so its buffer is empty
// again after every Read.
type quotedReader struct {
	src recordSource
	cr  *csv.Reader
}

func newQuotedReader() *quotedReader {
	q := &quotedReader{}
	q.reset()
	return q
}

func (q *quotedReader) reset() {
	q.cr = csv.NewReader(&q.src)
	q.cr.ReuseRecord = true
	q.cr.FieldsPerRecord = -1
	// A stray quote is data, as most CSV readers (and spreadsheets) take it.
	q.cr.LazyQuotes = true
}

// read parses rec, one whole record as recordEnd delimits it.
func (q *quotedReader) read(rec []byte) ([]string, error) {
	q.src.b = rec
	start := q.cr.InputOffset()
	fields, err := q.cr.Read()
	if len(q.src.b) != 0 || q.cr.InputOffset()-start != int64(len(rec)) {
		// The reader saw the record end elsewhere (it cannot with
		// LazyQuotes): start afresh so no byte leaks into the next record.
		q.reset()
	}
	return fields, err
}

// recordSource hands encoding/csv the bytes of the current record.
type recordSource struct{ b []byte }

func (s *recordSource) Read(p []byte) (int, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.b)
	s.b = s.b[n:]
	return n, nil
}
