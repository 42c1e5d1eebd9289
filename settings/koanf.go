package settings

import (
	"github.com/knadh/koanf/v2"
)

// SourceKoanf is the source [FromKoanf] gives its values when it is given
// no name.
const SourceKoanf = "koanf"

// FromKoanf returns a Config holding the values of k, for a service that
// already loads its configuration with koanf (YAML, TOML, Vault, Consul,
// its own environment mapping, ...). Pass it to rediscache.New as
// Deps.Config, lay it over loaded configuration with [Config.Merge], or
// supply it to fx in the rediscache.ConfigGroup value group.
//
// Keys are taken from k's nested maps, whatever k's delimiter, and get the
// .NET shape: levels joined by ':' and matched case-insensitively, so
// connectionstrings.cache in YAML is ConnectionStrings:cache. Values are
// read as [NewConfig] reads them (strings, booleans, numbers, durations,
// lists become keys 0, 1, ...). Two keys that differ only in case, or a
// value of an unsupported type, are an error naming the key.
//
// source names where the values came from (a file name, "vault"), as
// [Config.Source] reports it and as logs and errors show it; "" means
// [SourceKoanf]. A nil k gives an empty Config.
func FromKoanf(k *koanf.Koanf, source string) (*Config, error) {
	if source == "" {
		source = SourceKoanf
	}
	c := &Config{entries: make(map[string]entry)}
	if k == nil {
		return c, nil
	}
	if err := c.addValues("", k.Raw(), source, new(keyBudget)); err != nil {
		return nil, err
	}
	return c, nil
}
