package config

import (
	"github.com/rfmsync/rfmsync/core/connector"
)

// stubOptions stands in for a connector's options in this package's tests:
// the real connectors register themselves and core/config never imports
// them. Its keys follow the example's hubspot section.
type stubOptions struct {
	Token     string   `koanf:"token"`
	TokenFile string   `koanf:"token_file"`
	Object    string   `koanf:"object"`
	Sources   []string `koanf:"sources"`
	Pages     int      `koanf:"pages"`

	prefix string
}

func (o *stubOptions) Validate() error {
	var p problems
	if o.Token == "" {
		p.add(o.prefix+".token", "is required (or set token_file)")
	}
	if len(o.Sources) == 0 {
		p.add(o.prefix+".sources", "is empty")
	}
	return p.err()
}

func (o *stubOptions) New(connector.Env) (connector.Connector, error) { return nil, nil }

func decodeStub(section map[string]any, prefix string) (connector.Options, error) {
	o := &stubOptions{prefix: prefix}
	if err := DecodeSection(section, prefix, o); err != nil {
		return nil, err
	}
	tok, err := ReadSecret(o.Token, o.TokenFile)
	if err != nil {
		return nil, &Error{Key: prefix + ".token_file", Problem: err.Error()}
	}
	o.Token = tok
	return o, nil
}

func init() {
	connector.Register(connector.Registration{Name: "hubspot", Decode: decodeStub})
	connector.Register(connector.Registration{Name: "salesforce", Decode: decodeStub})
}
