package vtenexttest

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// WallLayout is the database form of datetimes (server wall time).
const WallLayout = "2006-01-02 15:04:05"

// DBDate is the database form of dates.
const DBDate = "2006-01-02"

var dateLayouts = map[string]string{"dd-mm-yyyy": "02-01-2006", "mm-dd-yyyy": "01-02-2006", "yyyy-mm-dd": DBDate}

// record is one row, values in database form: dates yyyy-mm-dd, datetimes
// in server wall time, references as the target's crmid, "" for NULL.
type record struct {
	id      int
	mod     *module
	vals    map[string]string
	deleted bool
}

// WSID renders a module prefix and crmid as a webservice id.
func WSID(prefix, crmid int) string { return strconv.Itoa(prefix) + "x" + strconv.Itoa(crmid) }

func crmidOf(wsid string) int {
	_, n, ok := strings.Cut(wsid, "x")
	if !ok {
		return 0
	}
	id, _ := strconv.Atoi(n)
	return id
}

// parseWSID splits "15x5120".
func parseWSID(s string) (prefix, crmid int, ok bool) {
	p, n, found := strings.Cut(s, "x")
	if !found {
		return 0, 0, false
	}
	a, err1 := strconv.Atoi(p)
	b, err2 := strconv.Atoi(n)
	return a, b, err1 == nil && err2 == nil && a > 0 && b > 0
}

// Wall renders an instant as the server's database datetime.
func (s *Server) Wall(t time.Time) string { return t.In(s.loc).Format(WallLayout) }

// Create stores a record (god mode) and returns its webservice id. Values
// are database form: dates yyyy-mm-dd, datetimes wall time, references as
// webservice ids; createdtime and modifiedtime default to now.
func (s *Server) Create(moduleName string, vals map[string]string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mustModule(moduleName)
	r := &record{id: s.nextID, mod: m, vals: map[string]string{}}
	s.nextID++
	now := s.Wall(s.clock.Now())
	if m.Entity {
		r.vals["createdtime"], r.vals["modifiedtime"] = now, now
		if _, ok := m.field("assigned_user_id"); ok {
			r.vals["assigned_user_id"] = "1"
		}
	}
	for _, f := range m.fields {
		if f.UIType == 4 {
			r.vals[f.Name] = strings.ToUpper(m.Name[:2]) + strconv.Itoa(r.id)
		}
	}
	s.setLocked(r, vals)
	s.records[r.id] = r
	return WSID(m.Prefix, r.id)
}

// Update changes fields as a save in the web UI does (god mode): it bumps
// modifiedtime.
func (s *Server) Update(id string, vals map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRecord(id)
	s.setLocked(r, vals)
	r.vals["modifiedtime"] = s.Wall(s.clock.Now())
}

// SetRaw changes stored values without a save (a database edit):
// modifiedtime moves only if given.
func (s *Server) SetRaw(id string, vals map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setLocked(s.mustRecord(id), vals)
}

func (s *Server) setLocked(r *record, vals map[string]string) {
	for k, v := range vals {
		f, _ := r.mod.field(k)
		if f == nil {
			panic(fmt.Sprintf("vtenexttest: %s has no field %s", r.mod.Name, k))
		}
		if (f.Type == TypeReference || f.Type == TypeOwner) && v != "" {
			v = strconv.Itoa(crmidOf(v))
		}
		r.vals[k] = v
	}
}

// Delete moves a record to the recycle bin: query and retrieve stop
// seeing it and references to it read "".
func (s *Server) Delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustRecord(id).deleted = true
}

// Restore brings a record back from the recycle bin with a fresh
// modifiedtime.
func (s *Server) Restore(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRecord(id)
	r.deleted = false
	r.vals["modifiedtime"] = s.Wall(s.clock.Now())
}

// Exists reports whether a record is live (not deleted).
func (s *Server) Exists(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.records[crmidOf(id)]
	return ok && !r.deleted
}

// Get returns a record as retrieve shows it (deleted ones too).
func (s *Server) Get(id string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.render(s.mustRecord(id), nil)
}

// Raw returns a record's stored value of one field.
func (s *Server) Raw(id, name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mustRecord(id).vals[name]
}

// DenyWrite makes revise of a record answer ACCESS_DENIED with msg, as a
// profile without edit permission does ("" lifts it).
func (s *Server) DenyWrite(id, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if msg == "" {
		delete(s.denied, crmidOf(id))
		return
	}
	s.denied[crmidOf(id)] = msg
}

// RejectRevise makes every revise of a record fail with
// MANDATORY_FIELDS_MISSING, as a save handler refusing its values would.
func (s *Server) RejectRevise(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejected[crmidOf(id)] = true
}

// Unreadable makes a record fail the per-record read permission check
// that runs after the SQL LIMIT (§4.3): a page holding it comes back short
// without being the last, and retrieve refuses it.
func (s *Server) Unreadable(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unreadable[crmidOf(id)] = true
}

func (s *Server) mustRecord(id string) *record {
	r, ok := s.records[crmidOf(id)]
	if !ok {
		panic("vtenexttest: no record " + id)
	}
	return r
}

// render formats a record as the API returns it: only visible fields (or
// those named), every value a string.
func (s *Server) render(r *record, names []string) map[string]string {
	out := map[string]string{}
	if names == nil {
		for _, f := range r.mod.visible() {
			out[f.Name] = s.format(r, f)
		}
		return out
	}
	for _, n := range names {
		f, _ := r.mod.field(n)
		out[n] = s.format(r, f)
	}
	out["id"] = WSID(r.mod.Prefix, r.id)
	return out
}

// format renders one value as §4.4 says.
func (s *Server) format(r *record, f *field) string {
	if f.Name == "id" {
		return WSID(r.mod.Prefix, r.id)
	}
	v := r.vals[f.Name]
	if v == "" {
		return ""
	}
	switch f.Type {
	case TypeDouble, TypeCurrency:
		return scaled(v, f.Scale)
	case TypeDate:
		t, err := time.Parse(DBDate, v)
		if err != nil {
			return v
		}
		return t.Format(dateLayouts[s.opts.DateFormat])
	case TypeReference, TypeOwner:
		n, _ := strconv.Atoi(v)
		t, ok := s.records[n]
		if !ok || t.deleted {
			return ""
		}
		return WSID(t.mod.Prefix, t.id)
	}
	return v
}

// scaled renders a decimal with the column's scale, rounding half away
// from zero as MySQL does.
func scaled(v string, scale int) string {
	r, ok := new(big.Rat).SetString(v)
	if !ok {
		return v
	}
	neg := r.Sign() < 0
	r.Abs(r)
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)
	x := new(big.Rat).Mul(r, new(big.Rat).SetInt(p))
	q, rem := new(big.Int).QuoRem(x.Num(), x.Denom(), new(big.Int))
	if new(big.Int).Mul(rem, big.NewInt(2)).Cmp(x.Denom()) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	out := new(big.Rat).SetFrac(q, p).FloatString(scale)
	if neg && q.Sign() != 0 {
		out = "-" + out
	}
	return out
}
