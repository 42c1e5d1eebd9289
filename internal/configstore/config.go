package configstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultEnvironment is the environment name used when neither
// DOTNET_ENVIRONMENT nor ASPNETCORE_ENVIRONMENT is set, as in .NET.
const DefaultEnvironment = "Production"

// Sources reported by [Store.Source] for values that did not come from a
// file.
const (
	// SourceValues is the source of values passed to [FromValues].
	SourceValues = "values"
	// sourceEnvPrefix starts the source of a value read from an
	// environment variable; the variable's name follows.
	sourceEnvPrefix = "environment variable "
)

// Store is the configuration behind a settings.Config (see its
// documentation): values by lower-case key, each with the key as written
// and its source. A nil *Store is valid and empty.
type Store struct {
	entries map[string]entry // lower-case key → value
	env     string           // environment name, Load only
	dir     string           // directory searched for appsettings files, Load only
	files   []string         // appsettings files read, Load only

}

// entry is one configuration value.
type entry struct {
	key    string // the key as written by its source, levels joined by ':'
	value  string
	source string // file path, "environment variable NAME" or "values"
}

// LoadOptions is settings.LoadOptions.
type LoadOptions struct {
	// Dir is the directory holding appsettings.json and
	// appsettings.{Environment}.json; "" is the working directory.
	Dir string
	// Environment selects appsettings.{Environment}.json. "" means
	// $DOTNET_ENVIRONMENT, else $ASPNETCORE_ENVIRONMENT, else "Production"
	// (read from Environ).
	Environment string
	// Environ holds the environment variables as KEY=VALUE; nil means
	// os.Environ(). Pass an empty, non-nil slice to read no variables.
	Environ []string
}

// Load reads configuration as settings.LoadConfig documents it.
func Load(opts LoadOptions) (*Store, error) {
	environ := opts.Environ
	if environ == nil {
		environ = os.Environ()
	}
	c := &Store{entries: make(map[string]entry), env: opts.Environment, dir: opts.Dir}
	if c.env == "" {
		c.env = environmentName(environ)
	}
	if abs, err := filepath.Abs(opts.Dir); err == nil {
		c.dir = abs
	}

	for _, name := range []string{"appsettings.json", "appsettings." + c.env + ".json"} {
		path := name
		if opts.Dir != "" {
			path = filepath.Join(opts.Dir, name)
		}
		data, err := readConfigFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		values, err := parseJSONConfig(path, data)
		if err != nil {
			return nil, err
		}
		for _, kv := range values {
			c.set(kv.key, kv.value, path)
		}
		c.files = append(c.files, path)
	}

	// Two passes, so that ConnectionStrings__{name} beats a prefixed
	// variable for the same name whatever their order in environ.
	for _, prefixed := range []bool{true, false} {
		for _, kv := range environ {
			name, value, ok := strings.Cut(kv, "=")
			if !ok || name == "" {
				continue
			}
			key, isConnStr := envKey(name)
			if isConnStr == prefixed {
				c.set(key, value, sourceEnvPrefix+name)
			}
		}
	}
	return c, nil
}

// environmentName returns the .NET environment name found in environ.
func environmentName(environ []string) string {
	var dotnet, aspnet string
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		switch name {
		case "DOTNET_ENVIRONMENT":
			dotnet = value
		case "ASPNETCORE_ENVIRONMENT":
			aspnet = value
		}
	}
	switch {
	case dotnet != "":
		return dotnet
	case aspnet != "":
		return aspnet
	}
	return DefaultEnvironment
}

// connStrPrefixes are the environment-variable prefixes that .NET's
// EnvironmentVariablesConfigurationProvider maps to ConnectionStrings:{name}
// (Azure App Service sets them for the connection strings of a web app):
// the first four since the first release, the others since .NET 10
// (dotnet/runtime#116037). docs/configuration.md lists them.
var connStrPrefixes = []string{
	"CUSTOMCONNSTR_", "MYSQLCONNSTR_", "SQLAZURECONNSTR_", "SQLCONNSTR_",
	"POSTGRESQLCONNSTR_", "APIHUBCONNSTR_", "DOCDBCONNSTR_", "EVENTHUBCONNSTR_",
	"NOTIFICATIONHUBCONNSTR_", "REDISCACHECONNSTR_", "SERVICEBUSCONNSTR_",
}

// envKey turns an environment variable name into a configuration key and
// says whether the name had one of connStrPrefixes.
func envKey(name string) (key string, connStrPrefix bool) {
	for _, p := range connStrPrefixes {
		if len(name) > len(p) && strings.EqualFold(name[:len(p)], p) {
			return "ConnectionStrings:" + strings.ReplaceAll(name[len(p):], "__", ":"), true
		}
	}
	return strings.ReplaceAll(name, "__", ":"), false
}

// FromValues holds values as settings.NewConfig documents it.
func FromValues(values map[string]any) (*Store, error) {
	c := &Store{entries: make(map[string]entry)}
	if err := c.addValues("", values, SourceValues, new(keyBudget)); err != nil {
		return nil, err
	}
	return c, nil
}

// addValues flattens a user-supplied map into c.
func (c *Store) addValues(prefix string, values map[string]any, source string, b *keyBudget) error {
	// Sorted, so that the error for a duplicate key is deterministic.
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		key, ok := b.join(prefix, k)
		if !ok {
			return keyBudgetError(prefix, source)
		}
		if err := c.addValue(key, values[k], source, b); err != nil {
			return err
		}
	}
	return nil
}

// keyBudgetError reports keys past MaxConfigKeyBytes under prefix, which
// it shows no longer than a key may reasonably be.
func keyBudgetError(prefix, source string) error {
	const show = 64
	if len(prefix) > show {
		prefix = strings.ToValidUTF8(prefix[:show], "") + "..."
	}
	return &KeyError{Key: prefix, Source: source, Err: errors.New(keyBudgetMsg)}
}

// addElements adds the elements of an array under key:0, key:1, ...
func addElements[T any](c *Store, key string, xs []T, source string, b *keyBudget) error {
	for i, x := range xs {
		ekey, ok := b.join(key, strconv.Itoa(i))
		if !ok {
			return keyBudgetError(key, source)
		}
		if err := c.addValue(ekey, x, source, b); err != nil {
			return err
		}
	}
	return nil
}

func (c *Store) addValue(key string, v any, source string, b *keyBudget) error {
	var s string
	switch v := v.(type) {
	case nil:
		return nil
	case map[string]any:
		return c.addValues(key, v, source, b)
	case map[string]string:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = x
		}
		return c.addValues(key, m, source, b)
	case []any:
		return addElements(c, key, v, source, b)
	case []string:
		return addElements(c, key, v, source, b)
	case string:
		s = v
	case bool:
		s = strconv.FormatBool(v)
	case int:
		s = strconv.FormatInt(int64(v), 10)
	case int8:
		s = strconv.FormatInt(int64(v), 10)
	case int16:
		s = strconv.FormatInt(int64(v), 10)
	case int32:
		s = strconv.FormatInt(int64(v), 10)
	case int64:
		s = strconv.FormatInt(v, 10)
	case uint:
		s = strconv.FormatUint(uint64(v), 10)
	case uint8:
		s = strconv.FormatUint(uint64(v), 10)
	case uint16:
		s = strconv.FormatUint(uint64(v), 10)
	case uint32:
		s = strconv.FormatUint(uint64(v), 10)
	case uint64:
		s = strconv.FormatUint(v, 10)
	case float32:
		s = strconv.FormatFloat(float64(v), 'f', -1, 32)
	case float64:
		s = strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		s = v.String()
	case time.Duration:
		s = v.String()
	case fmt.Stringer:
		s = v.String()
	default:
		return &KeyError{Key: key, Source: source, Err: fmt.Errorf("unsupported value type %T", v)}
	}
	lk := strings.ToLower(key)
	if old, ok := c.entries[lk]; ok {
		return &KeyError{Key: key, Source: source, Err: fmt.Errorf("key given twice (also as %q); keys are case-insensitive", old.key)}
	}
	c.entries[lk] = entry{key: key, value: s, source: source}
	return nil
}

func joinKey(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + ":" + key
}

// set stores one value; a later call for the same key (in any case) wins.
func (c *Store) set(key, value, source string) {
	c.entries[strings.ToLower(key)] = entry{key: key, value: value, source: source}
}

// String returns the value at key (levels separated by ':', any case) and
// whether it is present. A present value may be empty.
func (c *Store) String(key string) (string, bool) {
	e, ok := c.lookup(key)
	return e.value, ok
}

// Source says where the value at key came from: the path of the
// appsettings file ("appsettings.json", "conf/appsettings.Development.json"),
// "environment variable NAME" or "values" (FromValues). It returns "" when
// key is not present.
func (c *Store) Source(key string) string {
	e, _ := c.lookup(key)
	return e.source
}

// Environment returns the environment name Load used to pick
// appsettings.{Environment}.json; "" for a Store made by FromValues.
func (c *Store) Environment() string {
	if c == nil {
		return ""
	}
	return c.env
}

// Dir returns the directory Load searched for appsettings files (an
// absolute path when it could be made one); "" for a Store made by
// FromValues.
func (c *Store) Dir() string {
	if c == nil {
		return ""
	}
	return c.dir
}

// Files returns the appsettings files Load read, in order; none when
// neither exists, and none for a Store made by FromValues.
func (c *Store) Files() []string {
	if c == nil {
		return nil
	}
	return slices.Clone(c.files)
}

// Keys returns every key, as written by the source that set its value,
// sorted case-insensitively.
func (c *Store) Keys() []string {
	if c == nil {
		return nil
	}
	lower := make([]string, 0, len(c.entries))
	for k := range c.entries {
		lower = append(lower, k)
	}
	slices.Sort(lower)
	keys := make([]string, len(lower))
	for i, k := range lower {
		keys[i] = c.entries[k].key
	}
	return keys
}

// Merge returns a new Store holding c's values overridden by over's: the
// way to layer values from code on top of loaded configuration. Either may
// be nil.
func (c *Store) Merge(over *Store) *Store {
	out := &Store{entries: make(map[string]entry), env: c.Environment(), dir: c.Dir(), files: c.Files()}
	for _, src := range []*Store{c, over} {
		if src == nil {
			continue
		}
		for k, e := range src.entries {
			out.entries[k] = e
		}
	}
	if out.env == "" {
		out.env = over.Environment()
	}
	if out.dir == "" {
		out.dir, out.files = over.Dir(), over.Files()
	}
	return out
}

func (c *Store) lookup(key string) (entry, bool) {
	if c == nil {
		return entry{}, false
	}
	e, ok := c.entries[strings.ToLower(key)]
	return e, ok
}

// Child is one immediate Child of a configuration section.
type Child struct {
	Name     string // as written, e.g. "ConnectTimeout"
	Lower    string // lower-case name
	HasValue bool   // the Child key itself holds a value
	HasKids  bool   // the Child has children of its own
}

// Children lists the immediate children of section, sorted by lower-case
// name.
func (c *Store) Children(section string) []Child {
	if c == nil {
		return nil
	}
	prefix := strings.ToLower(section) + ":"
	depth := strings.Count(prefix, ":")
	byName := make(map[string]*Child)
	for lk, e := range c.entries {
		rest, ok := strings.CutPrefix(lk, prefix)
		if !ok {
			continue
		}
		name, _, deeper := strings.Cut(rest, ":")
		// The segment as written; lower-casing never adds or removes a ':'.
		written := name
		if parts := strings.Split(e.key, ":"); len(parts) > depth {
			written = parts[depth]
		}
		ch := byName[name]
		if ch == nil {
			ch = &Child{Name: written, Lower: name}
			byName[name] = ch
		}
		if deeper {
			ch.HasKids = true
		} else {
			ch.HasValue = true
			ch.Name = written
		}
	}
	out := make([]Child, 0, len(byName))
	for _, ch := range byName {
		out = append(out, *ch)
	}
	slices.SortFunc(out, func(a, b Child) int { return strings.Compare(a.Lower, b.Lower) })
	return out
}

// SourceUnder returns the source of key or, when key holds no value, of
// the first key below it.
func (c *Store) SourceUnder(key string) string {
	if src := c.Source(key); src != "" {
		return src
	}
	if c == nil {
		return ""
	}
	prefix := strings.ToLower(key) + ":"
	first := ""
	for lk := range c.entries {
		if strings.HasPrefix(lk, prefix) && (first == "" || lk < first) {
			first = lk
		}
	}
	return c.Source(first)
}

// KeyError is a value that cannot be used, at a key; package settings
// returns it as a *settings.ConfigError, whose fields it shares.
type KeyError struct {
	Key    string
	Source string
	Err    error
}

func (e *KeyError) Error() string {
	return "settings: config key " + e.Key + " (" + e.Source + "): " + e.Err.Error()
}

func (e *KeyError) Unwrap() error { return e.Err }

// Of returns the store behind cfg, a *settings.Config, or nil. Package
// settings sets it; code of this module reaches what the public Config
// does not offer (its keys, the files read) through it.
var Of func(cfg any) *Store

// PropertyPrefix encodes a connection name the way an Aspire AppHost names
// the connection-property variables ({PREFIX}_URI, _HOST, _PORT,
// _PASSWORD) that Resolve falls back to: a name that is a valid
// identifier ([A-Za-z_][A-Za-z0-9_]*) is kept; otherwise every character
// that is not an ASCII letter or digit becomes '_' and a leading digit gets
// a '_' prefix. The result is upper-cased.
func PropertyPrefix(name string) string {
	var b strings.Builder
	for i, r := range name {
		switch {
		case r >= '0' && r <= '9':
			if i == 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return strings.ToUpper(b.String())
}

// SettingsKeys returns the keys of settings.Settings that a configuration
// section (Aspire:StackExchange:Redis or Aspire:StackExchange:Redis:{name})
// binds, as the Aspire configuration schema spells them. Package settings,
// which holds the table, sets it.
var SettingsKeys func() []string
