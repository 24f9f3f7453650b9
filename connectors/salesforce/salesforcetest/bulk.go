package salesforcetest

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Bulk API 2.0 (§3 query jobs, §4.4 ingest jobs). Jobs advance on status
// polls, not on time: UploadComplete → InProgress → JobComplete after
// Options.BulkPolls polls, so tests drive them without sleeping.

var delimiters = map[string]rune{"COMMA": ',', "TAB": '\t', "PIPE": '|', "SEMICOLON": ';', "CARET": '^', "BACKQUOTE": '`'}

// bulkJob is a query or ingest job.
type bulkJob struct {
	id, kind, operation, object string
	version                     string
	state                       string
	delim, lineEnding           string
	created, modstamp           time.Time
	polls                       int
	errorMessage                string
	// query jobs
	q      *soql
	obj    *objectDef
	header []string
	rows   [][]string
	// ingest jobs
	upload               []byte
	uploaded             bool
	colHeader            []string
	success, failed, unp [][]string
	processed, nFailed   int
}

// FailNextBulkJob makes the next Bulk job that completes end Failed with
// msg as its errorMessage.
func (s *Server) FailNextBulkJob(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bulkFail = msg
}

// BulkJobs counts the Bulk jobs created (query and ingest).
func (s *Server) BulkJobs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.jobs) + s.jobsGone
}

func (j *bulkJob) info() map[string]any {
	v, _ := strconv.ParseFloat(j.version, 64)
	m := map[string]any{"id": j.id, "operation": j.operation, "object": j.object, "createdById": UserID,
		"createdDate": j.created.Format(JSONTime), "systemModstamp": j.modstamp.Format(JSONTime),
		"state": j.state, "concurrencyMode": "Parallel", "contentType": "CSV", "apiVersion": v,
		"lineEnding": j.lineEnding, "columnDelimiter": j.delim, "retries": 0, "totalProcessingTime": 0}
	if j.kind == "query" {
		m["jobType"] = "V2Query"
		m["numberRecordsProcessed"] = len(j.rows)
	} else {
		m["jobType"] = "V2Ingest"
		m["contentUrl"] = "services/data/v" + j.version + "/jobs/ingest/" + j.id + "/batches"
		m["numberRecordsProcessed"] = j.processed
		m["numberRecordsFailed"] = j.nFailed
	}
	if j.errorMessage != "" {
		m["errorMessage"] = j.errorMessage
	}
	return m
}

func terminal(state string) bool {
	return state == "JobComplete" || state == "Failed" || state == "Aborted"
}

// job finds a job of kind; terminal jobs are gone after 7 days (§3).
// Called with s.mu held.
func (s *Server) job(c *reqCtx, kind string) *bulkJob {
	j := s.jobs[normID(c.m.id)]
	if j != nil && terminal(j.state) && s.clock.Now().Sub(j.modstamp) > 7*24*time.Hour {
		delete(s.jobs, j.id)
		s.jobsGone++
		j = nil
	}
	if j == nil || j.kind != kind {
		c.fail(http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return nil
	}
	return j
}

func (s *Server) newJob(kind string, c *reqCtx, delim, lineEnding string) *bulkJob {
	now := s.clock.Now().Truncate(time.Millisecond)
	s.st.seq++
	j := &bulkJob{id: to18(fmt.Sprintf("750%012d", s.st.seq)), kind: kind, version: c.m.versionText,
		delim: delim, lineEnding: lineEnding, created: now, modstamp: now}
	s.jobs[j.id] = j
	return j
}

func jobOptions(c *reqCtx, contentType, delim, lineEnding string) (string, string, bool) {
	if contentType != "" && contentType != "CSV" {
		c.fail(http.StatusBadRequest, "INVALIDJOB", "InvalidJob : contentType must be CSV")
		return "", "", false
	}
	if delim == "" {
		delim = "COMMA"
	}
	if lineEnding == "" {
		lineEnding = "LF"
	}
	if _, ok := delimiters[delim]; !ok {
		c.fail(http.StatusBadRequest, "INVALIDJOB", "InvalidJob : columnDelimiter "+delim+" is not supported")
		return "", "", false
	}
	if lineEnding != "LF" && lineEnding != "CRLF" {
		c.fail(http.StatusBadRequest, "INVALIDJOB", "InvalidJob : lineEnding "+lineEnding+" is not supported")
		return "", "", false
	}
	return delim, lineEnding, true
}

func (s *Server) handleBulkQuery(c *reqCtx) {
	switch c.m.op {
	case opBulkQueryCreate:
		s.createQueryJob(c)
		return
	case opBulkQueryList:
		s.mu.Lock()
		defer s.mu.Unlock()
		recs := []any{}
		for _, k := range sortedKeys(s.jobs) {
			if j := s.jobs[k]; j.kind == "query" {
				recs = append(recs, j.info())
			}
		}
		c.writeJSON(http.StatusOK, map[string]any{"done": true, "records": recs, "nextRecordsUrl": nil})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.job(c, "query")
	if j == nil {
		return
	}
	switch {
	case c.m.op == opBulkQueryResults:
		s.queryResults(c, j)
	case c.r.Method == http.MethodGet:
		s.poll(j)
		c.writeJSON(http.StatusOK, j.info())
	case c.r.Method == http.MethodPatch:
		s.abortJob(c, j)
	case c.r.Method == http.MethodDelete:
		delete(s.jobs, j.id)
		s.jobsGone++
		c.noContent()
	}
}

func (s *Server) createQueryJob(c *reqCtx) {
	var req struct {
		Operation, Query, ContentType, ColumnDelimiter, LineEnding string
	}
	if err := json.Unmarshal(c.body, &req); err != nil {
		c.fail(http.StatusBadRequest, "JSON_PARSER_ERROR", "Unexpected character ('"+firstByte(c.body)+"'): was expecting JSON at [line:1, column:1]")
		return
	}
	if req.Operation != "query" && req.Operation != "queryAll" {
		c.fail(http.StatusBadRequest, "INVALIDJOB", "InvalidJob : operation must be query or queryAll")
		return
	}
	delim, le, ok := jobOptions(c, req.ContentType, req.ColumnDelimiter, req.LineEnding)
	if !ok {
		return
	}
	q, qerr := parseSOQL(req.Query)
	if qerr != nil {
		c.failQuery(http.StatusBadRequest, qerr)
		return
	}
	if q.subquery || q.count {
		// The errorCode for these refusals is unverified (§3).
		c.fail(http.StatusBadRequest, "FUNCTIONALITY_NOT_ENABLED", "Bulk Query does not support parent-to-child subqueries or aggregate functions")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	obj, qerr := q.bind(s.schema)
	if qerr != nil {
		c.failQuery(http.StatusBadRequest, qerr)
		return
	}
	for _, f := range q.fields {
		if f.field.typ == typeAddress {
			c.fail(http.StatusBadRequest, "FUNCTIONALITY_NOT_ENABLED", "Selecting compound data not supported in Bulk Query")
			return
		}
	}
	now := s.clock.Now()
	if s.bulkJobs.Count(now, dayWindow) >= s.opts.BulkQueryJobsPerDay {
		// The errorCode of a spent Bulk allocation is unverified.
		c.fail(http.StatusBadRequest, "LIMIT_EXCEEDED", "InvalidJob : the daily limit of Bulk API 2.0 query jobs is spent")
		return
	}
	s.bulkJobs.Add(now)
	j := s.newJob("query", c, delim, le)
	j.operation, j.object, j.q, j.obj, j.state = req.Operation, obj.name, q, obj, "UploadComplete"
	c.writeJSON(http.StatusOK, j.info())
}

// poll advances a job by one status poll. Called with s.mu held.
func (s *Server) poll(j *bulkJob) {
	if terminal(j.state) || j.state == "Open" {
		return
	}
	j.polls++
	j.modstamp = s.clock.Now().Truncate(time.Millisecond)
	if j.polls < s.opts.BulkPolls {
		j.state = "InProgress"
		return
	}
	if s.bulkFail != "" {
		j.state, j.errorMessage, s.bulkFail = "Failed", s.bulkFail, ""
		if j.kind == "ingest" {
			j.unp = s.uploadRows(j)
		}
		return
	}
	j.state = "JobComplete"
	if j.kind == "query" {
		rows := s.st.run(j.obj, j.q, j.operation == "queryAll", s.clock.Now())
		for _, f := range j.q.fields {
			j.header = append(j.header, f.String())
		}
		for _, r := range rows {
			line := make([]string, len(j.q.fields))
			for i, f := range j.q.fields {
				line[i] = formatCSV(s.st.valueOf(r, f))
			}
			j.rows = append(j.rows, line)
		}
		return
	}
	s.processIngest(j)
}

func (s *Server) abortJob(c *reqCtx, j *bulkJob) {
	var req struct{ State string }
	if json.Unmarshal(c.body, &req) != nil {
		c.fail(http.StatusBadRequest, "JSON_PARSER_ERROR", "Unexpected character ('"+firstByte(c.body)+"'): was expecting JSON at [line:1, column:1]")
		return
	}
	switch {
	case req.State == "Aborted" && !terminal(j.state):
		j.state = "Aborted"
		if j.kind == "ingest" {
			j.unp = s.uploadRows(j)
		}
	case req.State == "UploadComplete" && j.kind == "ingest" && j.state == "Open":
		if !j.uploaded {
			c.fail(http.StatusBadRequest, "INVALIDJOB", "InvalidJob : No data uploaded for job "+j.id)
			return
		}
		j.state = "UploadComplete"
	default:
		c.fail(http.StatusBadRequest, "INVALIDJOB", "InvalidJob : cannot move job "+j.id+" from "+j.state+" to "+req.State)
		return
	}
	j.modstamp = s.clock.Now().Truncate(time.Millisecond)
	c.writeJSON(http.StatusOK, j.info())
}

// queryResults serves one results set (§3): Sforce-Locator is the next
// set's locator or the literal "null".
func (s *Server) queryResults(c *reqCtx, j *bulkJob) {
	if j.version != c.m.versionText {
		c.fail(http.StatusConflict, "INVALIDJOB", "Results must be retrieved with API version "+j.version+", the version the job was created with")
		return
	}
	if j.state != "JobComplete" {
		// The status code is unverified (§3); the fake answers 400.
		c.fail(http.StatusBadRequest, "JOB_NOT_COMPLETE", "Job "+j.id+" is not complete: "+j.state)
		return
	}
	q := c.r.URL.Query()
	max := s.opts.BulkMaxRecords
	if v := q.Get("maxRecords"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			c.fail(http.StatusBadRequest, "INVALIDJOB", "maxRecords must be a positive integer")
			return
		}
		max = min(n, max)
	}
	off := 0
	if loc := q.Get("locator"); loc != "" {
		b, err := base64.RawStdEncoding.DecodeString(loc)
		n, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || n < 0 || n > len(j.rows) {
			c.fail(http.StatusBadRequest, "INVALIDLOCATOR", "Invalid locator: "+loc)
			return
		}
		off = n
	}
	end := min(off+max, len(j.rows))
	next := "null"
	if end < len(j.rows) {
		next = base64.RawStdEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	h := c.w.Header()
	h.Set("Sforce-Locator", next)
	h.Set("Sforce-NumberOfRecords", strconv.Itoa(end-off))
	s.writeCSV(c, j, j.header, j.rows[off:end])
}

func (s *Server) writeCSV(c *reqCtx, j *bulkJob, header []string, rows [][]string) {
	sep := string(delimiters[j.delim])
	eol := "\n"
	if j.lineEnding == "CRLF" {
		eol = "\r\n"
	}
	var b bytes.Buffer
	line := func(cells []string) {
		for i, v := range cells {
			if i > 0 {
				b.WriteString(sep)
			}
			b.WriteString(`"` + strings.ReplaceAll(v, `"`, `""`) + `"`)
		}
		b.WriteString(eol)
	}
	line(header)
	for _, r := range rows {
		line(r)
	}
	c.send(http.StatusOK, "text/csv", b.Bytes())
}

func (s *Server) handleBulkIngest(c *reqCtx) {
	if c.m.op == opBulkIngestCreate {
		s.createIngestJob(c)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.job(c, "ingest")
	if j == nil {
		return
	}
	switch {
	case c.m.op == opBulkIngestBatches:
		mt, _, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
		switch {
		case mt != "text/csv":
			c.fail(http.StatusBadRequest, "INVALIDJOB", "InvalidJob : Content-Type must be text/csv")
		case j.state != "Open" || j.uploaded:
			// One upload per job: the strict reading.
			c.fail(http.StatusBadRequest, "INVALIDJOB", "InvalidJob : data can be uploaded once, while the job is Open")
		default:
			j.upload, j.uploaded = append([]byte(nil), c.body...), true
			c.limitHeader()
			c.w.WriteHeader(http.StatusCreated)
		}
	case c.m.op == opBulkIngestResults:
		s.ingestResults(c, j)
	case c.r.Method == http.MethodGet:
		s.poll(j)
		c.writeJSON(http.StatusOK, j.info())
	case c.r.Method == http.MethodPatch:
		s.abortJob(c, j)
	case c.r.Method == http.MethodDelete:
		delete(s.jobs, j.id)
		s.jobsGone++
		c.noContent()
	}
}

func (s *Server) createIngestJob(c *reqCtx) {
	var req struct {
		Object, Operation, ContentType, ColumnDelimiter, LineEnding string
	}
	if err := json.Unmarshal(c.body, &req); err != nil {
		c.fail(http.StatusBadRequest, "JSON_PARSER_ERROR", "Unexpected character ('"+firstByte(c.body)+"'): was expecting JSON at [line:1, column:1]")
		return
	}
	if req.Operation != "update" {
		c.fail(http.StatusBadRequest, "INVALIDJOB", "InvalidJob : salesforcetest serves the update operation only")
		return
	}
	delim, le, ok := jobOptions(c, req.ContentType, req.ColumnDelimiter, req.LineEnding)
	if !ok {
		return
	}
	obj := s.schema[strings.ToLower(req.Object)]
	if obj == nil {
		c.fail(http.StatusBadRequest, "INVALIDJOB", "InvalidJob : Unable to find object: "+req.Object)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.newJob("ingest", c, delim, le)
	j.operation, j.object, j.obj, j.state = "update", obj.name, obj, "Open"
	c.writeJSON(http.StatusOK, j.info())
}

// uploadRows parses the upload into header and rows. Called with s.mu held.
func (s *Server) uploadRows(j *bulkJob) [][]string {
	r := csv.NewReader(bytes.NewReader(j.upload))
	r.Comma = delimiters[j.delim]
	r.FieldsPerRecord = -1
	all, err := r.ReadAll()
	if err != nil || len(all) == 0 {
		return nil
	}
	j.colHeader = all[0]
	return all[1:]
}

// processIngest applies an update job's rows (§4.4): an empty cell leaves
// the field unchanged, #N/A sets it to null. Called with s.mu held.
func (s *Server) processIngest(j *bulkJob) {
	rows := s.uploadRows(j)
	if j.colHeader == nil {
		j.state, j.errorMessage = "Failed", "InvalidBatch : Failed to parse CSV"
		return
	}
	idCol := -1
	fields := make([]*fieldDef, len(j.colHeader))
	for i, h := range j.colHeader {
		if strings.EqualFold(h, "Id") {
			idCol = i
			continue
		}
		f := j.obj.field(h)
		if f == nil {
			j.state, j.errorMessage = "Failed", "InvalidBatch : Field name not found : "+h
			j.unp = rows
			return
		}
		fields[i] = f
	}
	if idCol < 0 {
		j.state, j.errorMessage = "Failed", "InvalidBatch : The Id field is required for update"
		j.unp = rows
		return
	}
	// Salesforce splits the data into batches of ≤10,000 records, each
	// spending the shared 15,000-batch allocation (§4.4).
	now := s.clock.Now()
	need := (len(rows) + 9999) / 10000
	if s.batches.Count(now, dayWindow)+need > s.opts.BulkBatchesPerDay {
		j.state, j.errorMessage = "Failed", "InvalidBatch : the daily limit of Bulk API batches is spent"
		j.unp = rows
		return
	}
	for range need {
		s.batches.Add(now)
	}
	for _, row := range rows {
		fail := func(e *RecordError) {
			fs := "--"
			if len(e.Fields) > 0 {
				fs = strings.Join(e.Fields, ",")
			}
			j.failed = append(j.failed, append([]string{normID(cell(row, idCol)), e.StatusCode + ":" + e.Message + ":" + fs}, row...))
			j.nFailed++
		}
		j.processed++
		vals := map[string]any{}
		var rerr *RecordError
		for i, f := range fields {
			v := cell(row, i)
			if f == nil || v == "" {
				continue
			}
			if !f.updateable() {
				rerr = &RecordError{"INVALID_FIELD_FOR_INSERT_UPDATE", "Unable to create/update fields: " + f.name + ".", []string{f.name}}
				break
			}
			if v == "#N/A" {
				vals[f.name] = nil
				continue
			}
			val, e, perr := textValue(f, v)
			if perr != nil {
				e = &RecordError{"INVALID_TYPE_ON_FIELD_IN_RECORD", f.label + ": value not of required type: " + v, []string{f.name}}
			}
			if e != nil {
				rerr = e
				break
			}
			vals[f.name] = val
		}
		if rerr != nil {
			fail(rerr)
			continue
		}
		p, e := s.checkUpdate(j.obj, cell(row, idCol), vals)
		if e != nil {
			fail(e)
			continue
		}
		s.apply(p, "bulk")
		j.success = append(j.success, append([]string{p.r.id, "false"}, row...))
	}
}

func cell(row []string, i int) string {
	if i < len(row) {
		return row[i]
	}
	return ""
}

// ingestResults serves successfulResults, failedResults and
// unprocessedrecords; their order is not guaranteed, so the fake reverses
// the input order.
func (s *Server) ingestResults(c *reqCtx, j *bulkJob) {
	if !terminal(j.state) {
		c.fail(http.StatusBadRequest, "JOB_NOT_COMPLETE", "Job "+j.id+" is not complete: "+j.state)
		return
	}
	var header []string
	var rows [][]string
	switch c.m.leaf {
	case "successfulResults":
		header, rows = append([]string{"sf__Id", "sf__Created"}, j.colHeader...), j.success
	case "failedResults":
		header, rows = append([]string{"sf__Id", "sf__Error"}, j.colHeader...), j.failed
	default:
		header, rows = j.colHeader, j.unp
	}
	rev := make([][]string, len(rows))
	for i, r := range rows {
		rev[len(rows)-1-i] = r
	}
	s.writeCSV(c, j, header, rev)
}
