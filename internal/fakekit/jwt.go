package fakekit

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
)

// JWTClaims are the claims of a JWT-bearer assertion that token endpoints
// check.
type JWTClaims struct {
	Iss string `json:"iss"`
	Sub string `json:"sub,omitempty"`
	Prn string `json:"prn,omitempty"`
	// Aud is the audience; a JSON array's first element is taken.
	Aud string `json:"-"`
	Exp int64  `json:"exp"`
}

// Errors of VerifyJWT.
var (
	ErrJWTMalformed = errors.New("jwt: malformed assertion")
	ErrJWTAlg       = errors.New("jwt: algorithm is not RS256")
	ErrJWTSignature = errors.New("jwt: signature does not verify")
)

// VerifyJWT checks a compact JWS signed RS256 with key's private half and
// returns its claims. Claim values are left to the caller to judge.
func VerifyJWT(assertion string, key *rsa.PublicKey) (JWTClaims, error) {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return JWTClaims{}, ErrJWTMalformed
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return JWTClaims{}, ErrJWTMalformed
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(hb, &hdr) != nil {
		return JWTClaims{}, ErrJWTMalformed
	}
	if hdr.Alg != "RS256" {
		return JWTClaims{}, ErrJWTAlg
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if key == nil || rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig) != nil {
		return JWTClaims{}, ErrJWTSignature
	}
	var raw struct {
		JWTClaims
		Aud json.RawMessage `json:"aud"`
	}
	if json.Unmarshal(cb, &raw) != nil {
		return JWTClaims{}, ErrJWTMalformed
	}
	c := raw.JWTClaims
	if len(raw.Aud) > 0 {
		var one string
		var many []string
		switch {
		case json.Unmarshal(raw.Aud, &one) == nil:
			c.Aud = one
		case json.Unmarshal(raw.Aud, &many) == nil && len(many) > 0:
			c.Aud = many[0]
		default:
			return JWTClaims{}, ErrJWTMalformed
		}
	}
	return c, nil
}

// SignJWT builds an RS256 assertion for claims, for tests and demos that
// play the client.
func SignJWT(key *rsa.PrivateKey, c JWTClaims) (string, error) {
	hdr := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256"}`))
	body := map[string]any{"iss": c.Iss, "exp": c.Exp}
	if c.Sub != "" {
		body["sub"] = c.Sub
	}
	if c.Prn != "" {
		body["prn"] = c.Prn
	}
	if c.Aud != "" {
		body["aud"] = c.Aud
	}
	cb, err := json.Marshal(body)
	if err != nil {
		return "", err
	}
	signing := hdr + "." + base64.RawURLEncoding.EncodeToString(cb)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}
