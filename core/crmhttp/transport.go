package crmhttp

import (
	"context"
	"errors"
	"io"
	"net/http"
)

// transport is the per-attempt layer under retryablehttp: pace, authorise,
// count, then send with the attempt timeout. Pacing comes first so the
// credential is checked for expiry as late as possible, and the timeout
// starts only after the waits.
type transport struct {
	c    *Client
	base http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	c, ctx := t.c, req.Context()
	st := callFrom(ctx)
	buckets := c.matching(req)
	if err := c.pace(ctx, buckets); err != nil {
		return nil, err
	}
	out := req.Clone(ctx) // RoundTrippers must not modify the caller's request
	if c.auth != nil && (st == nil || !st.noAuth) {
		if err := c.auth.Authorize(ctx, out); err != nil {
			return nil, err
		}
		if st != nil {
			st.authReq = out
		}
	}
	c.stats.addCall(buckets)
	if c.timeout <= 0 {
		return t.base.RoundTrip(out)
	}
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	resp, err := t.base.RoundTrip(out.WithContext(actx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelOnClose ends the attempt's timeout context once the body is consumed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// sameHostRedirects follows redirects only within the original host: the
// transport authorises every hop, so a redirect elsewhere would hand our
// credentials to a stranger. Other redirects come back as 3xx responses.
func sameHostRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if req.URL.Host != via[0].URL.Host || req.URL.Scheme != via[0].URL.Scheme {
		return http.ErrUseLastResponse
	}
	return nil
}
