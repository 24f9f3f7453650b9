package status

import (
	"html/template"
	"net/http"
	"strings"
)

// CustomerLookup explains one customer in plain text (raw R/F/M, scores,
// the rule that matched, what was last written), or fails for an unknown one.
type CustomerLookup func(id string) (string, error)

// SetCustomerLookup turns on /customer?id=…; the page is off until then.
// Callers turn it on only behind the page token and with record ids
// allowed: it names a CRM record and shows its values.
func (b *Board) SetCustomerLookup(f CustomerLookup) {
	b.mu.Lock()
	b.lookup = f
	b.mu.Unlock()
}

// maxCustomerID bounds the id a lookup accepts.
const maxCustomerID = 200

var customerPage = template.Must(template.New("customer").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>rfmsync: customer</title><link rel="icon" href="data:,">
<style>body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:900px;padding:16px;color:#1d2330}
pre{white-space:pre-wrap;background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px}
.err{color:#b00020}input{font:inherit;padding:4px 6px;width:min(100%,22em)}</style></head><body>
<h1>Customer</h1>
<form method="get" action="customer"><label>id <input name="id" value="{{.ID}}" autofocus></label> <button>explain</button></form>
{{if .Text}}<pre>{{.Text}}</pre>{{end}}{{if .Err}}<p class="err">{{.Err}}</p>{{end}}
<p><a href="./">dashboard</a></p>
</body></html>
`))

func (b *Board) serveCustomer(w http.ResponseWriter, r *http.Request) {
	b.mu.RLock()
	lookup := b.lookup
	b.mu.RUnlock()
	if lookup == nil {
		http.Error(w, "the customer lookup is off (it needs status.token_file and status.show_record_ids)", http.StatusNotFound)
		return
	}
	v := struct{ ID, Text, Err string }{ID: strings.TrimSpace(r.URL.Query().Get("id"))}
	switch {
	case v.ID == "":
	case len(v.ID) > maxCustomerID:
		v.Err = "id too long"
	default:
		text, err := lookup(v.ID)
		v.Text = text
		if err != nil {
			v.Err = err.Error()
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	customerPage.Execute(w, v)
}
