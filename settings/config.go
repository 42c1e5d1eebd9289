package settings

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
	"sync"
	"time"

	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/v2"
)

// DefaultEnvironment is the environment name used when neither
// DOTNET_ENVIRONMENT nor ASPNETCORE_ENVIRONMENT is set, as in .NET.
const DefaultEnvironment = "Production"

// Sources reported by [Config.Source] for values that did not come from a
// file.
const (
	// SourceValues is the source of values passed to [NewConfig].
	SourceValues = "values"
	// sourceEnvPrefix starts the source of a value read from an
	// environment variable; the variable's name follows.
	sourceEnvPrefix = "environment variable "
)

// Config is a read-only set of configuration values in the shape of .NET
// configuration: keys are paths whose levels are separated by ':'
// ("ConnectionStrings:cache", "Aspire:StackExchange:Redis:cache:DisableTracing"),
// keys match case-insensitively, and every value is a string.
//
// Build one with [LoadConfig] (appsettings files and environment variables,
// as a .NET host does) or [NewConfig] (values you already have). A nil
// *Config is valid and empty. A Config is safe for concurrent use.
type Config struct {
	entries map[string]entry // lower-case key → value
	env     string           // environment name, LoadConfig only
	dir     string           // directory searched for appsettings files, LoadConfig only
	files   []string         // appsettings files read, LoadConfig only

	koOnce sync.Once
	ko     *koanf.Koanf
}

// entry is one configuration value.
type entry struct {
	key    string // the key as written by its source, levels joined by ':'
	value  string
	source string // file path, "environment variable NAME" or "values"
}

// LoadOptions tells [LoadConfig] where to read configuration from.
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

// LoadConfig reads configuration the way a .NET host does, later sources
// winning:
//
//  1. appsettings.json in opts.Dir (optional);
//  2. appsettings.{Environment}.json in opts.Dir (optional);
//  3. environment variables.
//
// The JSON files are read like .NET's JSON configuration provider: the top
// level must be an object, nested objects become ':'-separated keys, array
// elements become keys 0, 1, ..., scalars become strings (true → "true",
// numbers as written, null → ""), // and /* */ comments and trailing commas
// are allowed, and a key given twice in one file (in any case) is an error.
// A malformed file is an error naming the file and the line:column.
// A file starting with a byte-order mark is read in the encoding the mark
// names (UTF-8, UTF-16 or UTF-32, little- or big-endian), as .NET's
// StreamReader does; without one it is UTF-8. A file larger than
// [MaxConfigFileBytes], holding more than [MaxConfigFileValues] values or
// nested deeper than [MaxConfigDepth] levels is an error.
//
// In an environment variable name "__" separates levels:
// ConnectionStrings__cache=localhost:6379 sets "ConnectionStrings:cache".
// As in .NET 10, a variable named with an Azure App Service
// connection-string prefix (CUSTOMCONNSTR_{name}, REDISCACHECONNSTR_{name}
// and the others listed in docs/configuration.md) sets
// "ConnectionStrings:{name}"; ConnectionStrings__{name} wins over it. When a
// variable appears twice in Environ (in any case), the later one wins.
//
// Keys are case-insensitive: "connectionstrings:Cache" from a file and
// CONNECTIONSTRINGS__CACHE from the environment are the same key.
// Command-line arguments and .NET user secrets are not read.
func LoadConfig(opts LoadOptions) (*Config, error) {
	environ := opts.Environ
	if environ == nil {
		environ = os.Environ()
	}
	c := &Config{entries: make(map[string]entry), env: opts.Environment, dir: opts.Dir}
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

// NewConfig returns a Config holding values, for programs that already have
// their configuration (from flags, another library, a test).
//
// Keys may be flat ("ConnectionStrings:cache"), nested
// (map[string]any{"ConnectionStrings": map[string]any{"cache": ...}}), or
// both. Accepted values: string, bool, integer and floating-point numbers,
// fmt.Stringer (e.g. time.Duration, giving "5s"), nested maps with string
// keys, and slices (elements become keys 0, 1, ...). A nil value is skipped.
// Keys match case-insensitively, so two spellings of one key are an error,
// as is a value of another type.
func NewConfig(values map[string]any) (*Config, error) {
	c := &Config{entries: make(map[string]entry)}
	if err := c.addValues("", values, SourceValues, new(keyBudget)); err != nil {
		return nil, err
	}
	return c, nil
}

// addValues flattens a user-supplied map into c.
func (c *Config) addValues(prefix string, values map[string]any, source string, b *keyBudget) error {
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
	return &ConfigError{Key: prefix, Source: source, Err: errors.New(keyBudgetMsg)}
}

func (c *Config) addValue(key string, v any, source string, b *keyBudget) error {
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
		for i, x := range v {
			ekey, ok := b.join(key, strconv.Itoa(i))
			if !ok {
				return keyBudgetError(key, source)
			}
			if err := c.addValue(ekey, x, source, b); err != nil {
				return err
			}
		}
		return nil
	case []string:
		for i, x := range v {
			ekey, ok := b.join(key, strconv.Itoa(i))
			if !ok {
				return keyBudgetError(key, source)
			}
			if err := c.addValue(ekey, x, source, b); err != nil {
				return err
			}
		}
		return nil
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
		return &ConfigError{Key: key, Source: source, Err: fmt.Errorf("unsupported value type %T", v)}
	}
	lk := strings.ToLower(key)
	if old, ok := c.entries[lk]; ok {
		return &ConfigError{Key: key, Source: source, Err: fmt.Errorf("key given twice (also as %q); keys are case-insensitive", old.key)}
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
func (c *Config) set(key, value, source string) {
	c.entries[strings.ToLower(key)] = entry{key: key, value: value, source: source}
}

// String returns the value at key (levels separated by ':', any case) and
// whether it is present. A present value may be empty.
func (c *Config) String(key string) (string, bool) {
	e, ok := c.lookup(key)
	return e.value, ok
}

// Source says where the value at key came from: the path of the
// appsettings file ("appsettings.json", "conf/appsettings.Development.json"),
// "environment variable NAME" or "values" (NewConfig). It returns "" when
// key is not present.
func (c *Config) Source(key string) string {
	e, _ := c.lookup(key)
	return e.source
}

// Environment returns the environment name LoadConfig used to pick
// appsettings.{Environment}.json; "" for a Config made by NewConfig.
func (c *Config) Environment() string {
	if c == nil {
		return ""
	}
	return c.env
}

// Dir returns the directory LoadConfig searched for appsettings files (an
// absolute path when it could be made one); "" for a Config made by
// NewConfig.
func (c *Config) Dir() string {
	if c == nil {
		return ""
	}
	return c.dir
}

// Files returns the appsettings files LoadConfig read, in order; none when
// neither exists, and none for a Config made by NewConfig.
func (c *Config) Files() []string {
	if c == nil {
		return nil
	}
	return slices.Clone(c.files)
}

// Keys returns every key, as written by the source that set its value,
// sorted case-insensitively.
func (c *Config) Keys() []string {
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

// Merge returns a new Config holding c's values overridden by over's: the
// way to layer values from code on top of loaded configuration. Either may
// be nil.
func (c *Config) Merge(over *Config) *Config {
	out := &Config{entries: make(map[string]entry), env: c.Environment(), dir: c.Dir(), files: c.Files()}
	for _, src := range []*Config{c, over} {
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

// Koanf returns the configuration as a koanf instance with ':' as the
// delimiter and lower-case keys, for reading settings of your own
// (Unmarshal into a struct matches field names case-insensitively). It is
// a copy: changing it does not change c. When a key holds both a value and
// child keys (possible in .NET configuration, not in koanf), the children
// win.
func (c *Config) Koanf() *koanf.Koanf {
	if c == nil {
		return koanf.New(":")
	}
	c.koOnce.Do(func() {
		keys := make([]string, 0, len(c.entries))
		for k := range c.entries {
			keys = append(keys, k)
		}
		// Shorter keys first: a leaf "a:b" is replaced by the section
		// "a:b" when "a:b:c" comes later.
		slices.Sort(keys)
		root := make(map[string]any)
	next:
		for _, k := range keys {
			parts := strings.Split(k, ":")
			m := root
			for _, p := range parts[:len(parts)-1] {
				child, ok := m[p].(map[string]any)
				if !ok {
					child = make(map[string]any)
					m[p] = child
				}
				m = child
			}
			last := parts[len(parts)-1]
			if _, isSection := m[last].(map[string]any); isSection {
				continue next
			}
			m[last] = c.entries[k].value
		}
		ko := koanf.New(":")
		// confmap never fails to read; Load can only fail on a parser.
		_ = ko.Load(confmap.Provider(root, ""), nil)
		c.ko = ko
	})
	return c.ko.Copy()
}

func (c *Config) lookup(key string) (entry, bool) {
	if c == nil {
		return entry{}, false
	}
	e, ok := c.entries[strings.ToLower(key)]
	return e, ok
}

// child is one immediate child of a configuration section.
type child struct {
	name     string // as written, e.g. "ConnectTimeout"
	lower    string // lower-case name
	hasValue bool   // the child key itself holds a value
	hasKids  bool   // the child has children of its own
}

// children lists the immediate children of section, sorted by lower-case
// name.
func (c *Config) children(section string) []child {
	if c == nil {
		return nil
	}
	prefix := strings.ToLower(section) + ":"
	depth := strings.Count(prefix, ":")
	byName := make(map[string]*child)
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
			ch = &child{name: written, lower: name}
			byName[name] = ch
		}
		if deeper {
			ch.hasKids = true
		} else {
			ch.hasValue = true
			ch.name = written
		}
	}
	out := make([]child, 0, len(byName))
	for _, ch := range byName {
		out = append(out, *ch)
	}
	slices.SortFunc(out, func(a, b child) int { return strings.Compare(a.lower, b.lower) })
	return out
}

// sourceUnder returns the source of key or, when key holds no value, of
// the first key below it.
func (c *Config) sourceUnder(key string) string {
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
