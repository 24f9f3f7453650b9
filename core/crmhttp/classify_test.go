package crmhttp

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/crmerr"
)

func TestDefaultClassifierStatuses(t *testing.T) {
	tests := []struct {
		status int
		want   crmerr.Class
		reauth bool
	}{
		{200, crmerr.None, false}, {201, crmerr.None, false}, {204, crmerr.None, false}, {207, crmerr.None, false},
		{302, crmerr.Validation, false}, {400, crmerr.Validation, false}, {401, crmerr.Auth, true},
		{403, crmerr.Validation, false}, {404, crmerr.NotFound, false}, {408, crmerr.Transient, false},
		{409, crmerr.Validation, false}, {414, crmerr.Validation, false}, {423, crmerr.Transient, false},
		{429, crmerr.RateLimited, false}, {500, crmerr.Transient, false}, {501, crmerr.Permanent, false},
		{502, crmerr.Transient, false}, {503, crmerr.Transient, false}, {504, crmerr.Transient, false},
		{524, crmerr.Transient, false}, {530, crmerr.Transient, false},
	}
	for _, tt := range tests {
		v := DefaultClassifier(Attempt{Status: tt.status, Header: http.Header{}, Body: nil, Err: nil})
		if v.Class != tt.want || v.Reauth != tt.reauth {
			t.Errorf("status %d: got %v reauth=%v, want %v reauth=%v", tt.status, v.Class, v.Reauth, tt.want, tt.reauth)
		}
	}
}

func TestDefaultClassifierRetryAfterAndMessage(t *testing.T) {
	v := DefaultClassifier(Attempt{Status: 429, Header: http.Header{"Retry-After": {"7"}}, Body: []byte(`{"message":"slow down"}`), Err: nil})
	if v.RetryAfter != 7*time.Second {
		t.Errorf("RetryAfter = %v, want 7s", v.RetryAfter)
	}
	if v.Message != `{"message":"slow down"}` {
		t.Errorf("Message = %q", v.Message)
	}
	v = DefaultClassifier(Attempt{Status: 503, Header: http.Header{"Retry-After": {"Mon, 02 Jan 2006 15:04:05 GMT"}}})
	if v.RetryAfter != 0 || v.Class != crmerr.Transient {
		t.Errorf("past HTTP-date: got %v %v", v.Class, v.RetryAfter)
	}
}

func TestDefaultClassifierNeverAssumesJSON(t *testing.T) {
	html := []byte("<html><body><h1>502 Bad Gateway</h1>cloudflare</body></html>")
	v := DefaultClassifier(Attempt{Status: 502, Header: nil, Body: html, Err: nil})
	if v.Class != crmerr.Transient || v.Message != "Bad Gateway" {
		t.Errorf("HTML 502: got %v %q", v.Class, v.Message)
	}
	long := []byte(strings.Repeat("x ", 500))
	if v := DefaultClassifier(Attempt{Status: 500, Header: nil, Body: long, Err: nil}); len(v.Message) > messageLimit {
		t.Errorf("long body kept %d bytes", len(v.Message))
	}
	if v := DefaultClassifier(Attempt{Status: 500, Header: nil, Body: nil, Err: nil}); v.Message != "Internal Server Error" {
		t.Errorf("empty body message %q", v.Message)
	}
}

func TestDefaultClassifierTransportErrors(t *testing.T) {
	tests := []struct {
		err  error
		want crmerr.Class
	}{
		{io.ErrUnexpectedEOF, crmerr.Transient},
		{context.DeadlineExceeded, crmerr.Transient},
		{errors.New("dial tcp 10.0.0.1:443: connect: connection refused"), crmerr.Transient},
		{x509.UnknownAuthorityError{}, crmerr.Permanent},
		{errors.New(`unsupported protocol scheme "ftp"`), crmerr.Permanent},
		{errors.New("stopped after 10 redirects"), crmerr.Permanent},
		{context.Canceled, crmerr.Permanent},
	}
	for _, tt := range tests {
		if got := DefaultClassifier(Attempt{Status: 0, Header: nil, Body: nil, Err: tt.err}).Class; got != tt.want {
			t.Errorf("%v: got %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"120", 2 * time.Minute, true},
		{" 5 ", 5 * time.Second, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, false},
		{"0", 0, false}, {"-3", 0, false}, {"soon", 0, false}, {"", 0, false},
		{"99999999999999999", maxRetryAfterSecs * time.Second, true},
	}
	for _, tt := range tests {
		got, ok := ParseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
