package settings

import (
	"errors"

	"github.com/aspirego/redis/internal/configstore"
)

// Limits on one appsettings file read by [LoadConfig]. .NET's JSON reader
// stops at 64 levels of nesting too (System.Text.Json's default MaxDepth)
// and has no other limit; these bound what a file that is not a
// configuration file, or an attack, can cost: a file over a limit is
// rejected before it is parsed.
const (
	// MaxConfigFileBytes is the largest appsettings file read (16 MiB).
	MaxConfigFileBytes = configstore.MaxConfigFileBytes
	// MaxConfigFileValues is the most values (scalars, objects and arrays)
	// one file may hold.
	MaxConfigFileValues = configstore.MaxConfigFileValues
	// MaxConfigDepth is the deepest nesting of objects and arrays.
	MaxConfigDepth = configstore.MaxConfigDepth
	// MaxConfigKeyBytes bounds the bytes of all the keys one file, or one
	// call of [NewConfig], produces, each counted with its full path
	// ("a:b:0"): as many as a file may hold. Only nesting can exceed it,
	// since every value repeats the keys of the objects around it.
	MaxConfigKeyBytes = configstore.MaxConfigKeyBytes
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
	store *configstore.Store
}

func init() {
	configstore.Of = func(cfg any) *configstore.Store {
		c, _ := cfg.(*Config)
		return c.st()
	}
}

// st is the store behind c; nil (an empty store) for a nil c.
func (c *Config) st() *configstore.Store {
	if c == nil {
		return nil
	}
	return c.store
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
	s, err := configstore.Load(configstore.LoadOptions(opts))
	if err != nil {
		return nil, storeError(err)
	}
	return &Config{store: s}, nil
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
	s, err := configstore.FromValues(values)
	if err != nil {
		return nil, storeError(err)
	}
	return &Config{store: s}, nil
}

// storeError is the public form of an error of the store: a
// *configstore.KeyError becomes a *ConfigError, a *configstore.FileError a
// *FileError.
func storeError(err error) error {
	var ke *configstore.KeyError
	if errors.As(err, &ke) && error(ke) == err {
		return (*ConfigError)(ke)
	}
	var fe *configstore.FileError
	if errors.As(err, &fe) && error(fe) == err {
		return (*FileError)(fe)
	}
	return err
}

// String returns the value at key (levels separated by ':', any case) and
// whether it is present. A present value may be empty.
func (c *Config) String(key string) (string, bool) { return c.st().String(key) }

// Source says where the value at key came from: the path of the
// appsettings file ("appsettings.json", "conf/appsettings.Development.json"),
// "environment variable NAME" or "values" (NewConfig). It returns "" when
// key is not present.
func (c *Config) Source(key string) string { return c.st().Source(key) }

// Environment returns the environment name LoadConfig used to pick
// appsettings.{Environment}.json; "" for a Config made by NewConfig.
func (c *Config) Environment() string { return c.st().Environment() }

// Merge returns a new Config holding c's values overridden by over's: the
// way to layer values from code on top of loaded configuration. Either may
// be nil.
func (c *Config) Merge(over *Config) *Config {
	return &Config{store: c.st().Merge(over.st())}
}

// FileError reports a malformed or oversized configuration file.
type FileError struct {
	// File is the path of the file as opened.
	File string
	// Line and Column (1-based; the column counts characters) locate the
	// problem; both are 0 when it concerns the whole file (its size, its
	// encoding).
	Line, Column int
	// Msg describes the problem.
	Msg string
	// Err is the underlying error, if any (e.g. from the JSON parser).
	Err error
}

// Error returns "settings: FILE:LINE:COL: MSG", or "settings: FILE: MSG"
// when the problem has no position.
func (e *FileError) Error() string { return (*configstore.FileError)(e).Error() }

// Unwrap returns the underlying error.
func (e *FileError) Unwrap() error { return e.Err }
