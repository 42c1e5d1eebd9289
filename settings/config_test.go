package settings

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/v2"

	"github.com/aspirego/redis/internal/configstore"
)

// writeFiles writes name → content into a fresh temporary directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// mustLoad loads configuration from files and environ, failing the test on
// error.
func mustLoad(t *testing.T, files map[string]string, environ ...string) *Config {
	t.Helper()
	if environ == nil {
		environ = []string{}
	}
	cfg, err := LoadConfig(LoadOptions{Dir: writeFiles(t, files), Environ: environ})
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	return cfg
}

func TestLoadConfigLayers(t *testing.T) {
	base := `{
		"ConnectionStrings": {"cache": "base:6379", "other": "other:6379"},
		"Aspire": {"StackExchange": {"Redis": {"DisableTracing": true, "cache": {"HealthCheckTimeout": "00:00:03"}}}},
		"Only": {"Base": 1.50}
	}`
	dev := `{"ConnectionStrings": {"Cache": "dev:6379"}, "Only": {"Dev": null}}`
	tests := []struct {
		name    string
		files   map[string]string
		environ []string
		key     string
		want    string
		source  string // suffix of Source(key)
	}{
		{"base file", map[string]string{"appsettings.json": base}, nil,
			"ConnectionStrings:cache", "base:6379", "appsettings.json"},
		{"bool as string", map[string]string{"appsettings.json": base}, nil,
			"Aspire:StackExchange:Redis:DisableTracing", "true", "appsettings.json"},
		{"number as written", map[string]string{"appsettings.json": base}, nil,
			"only:base", "1.50", "appsettings.json"},
		{"environment file beats base file", map[string]string{"appsettings.json": base, "appsettings.Production.json": dev}, nil,
			"connectionstrings:CACHE", "dev:6379", "appsettings.Production.json"},
		{"base value kept when environment file lacks it", map[string]string{"appsettings.json": base, "appsettings.Production.json": dev}, nil,
			"ConnectionStrings:other", "other:6379", "appsettings.json"},
		{"null is empty", map[string]string{"appsettings.Production.json": dev}, nil,
			"Only:Dev", "", "appsettings.Production.json"},
		{"other environment's file ignored", map[string]string{"appsettings.json": base, "appsettings.Development.json": dev}, nil,
			"ConnectionStrings:cache", "base:6379", "appsettings.json"},
		{"DOTNET_ENVIRONMENT picks the file", map[string]string{"appsettings.json": base, "appsettings.Development.json": dev},
			[]string{"DOTNET_ENVIRONMENT=Development"}, "ConnectionStrings:cache", "dev:6379", "appsettings.Development.json"},
		{"env beats files", map[string]string{"appsettings.json": base, "appsettings.Production.json": dev},
			[]string{"ConnectionStrings__cache=env:6379"}, "ConnectionStrings:cache", "env:6379", "environment variable ConnectionStrings__cache"},
		{"env key case differs from file key", map[string]string{"appsettings.json": `{"connectionstrings": {"Cache": "file:1"}}`},
			[]string{"CONNECTIONSTRINGS__CACHE=env:2"}, "ConnectionStrings:cache", "env:2", "environment variable CONNECTIONSTRINGS__CACHE"},
		{"later variable wins", nil,
			[]string{"ConnectionStrings__cache=one", "connectionstrings__CACHE=two"}, "ConnectionStrings:cache", "two", "environment variable connectionstrings__CACHE"},
		{"nested env key", nil,
			[]string{"Aspire__StackExchange__Redis__cache__DisableTracing=true"}, "aspire:stackexchange:redis:cache:disabletracing", "true", "environment variable Aspire__StackExchange__Redis__cache__DisableTracing"},
		{"Azure App Service custom connection string", nil,
			[]string{"CUSTOMCONNSTR_cache=azure:6380,ssl=true"}, "ConnectionStrings:cache", "azure:6380,ssl=true", "environment variable CUSTOMCONNSTR_cache"},
		{"empty env value is present", nil,
			[]string{"ConnectionStrings__cache="}, "ConnectionStrings:cache", "", "environment variable ConnectionStrings__cache"},
		{"value with equals sign", nil,
			[]string{"ConnectionStrings__cache=h:1,password=a=b"}, "ConnectionStrings:cache", "h:1,password=a=b", "environment variable ConnectionStrings__cache"},
		{"array elements", map[string]string{"appsettings.json": `{"A": [10, {"B": "x"}, [true]]}`}, nil,
			"a:1:b", "x", "appsettings.json"},
		{"nested array", map[string]string{"appsettings.json": `{"A": [10, {"B": "x"}, [true]]}`}, nil,
			"A:2:0", "true", "appsettings.json"},
		{"colon in a JSON key is a level", map[string]string{"appsettings.json": `{"ConnectionStrings:cache": "flat:1"}`}, nil,
			"ConnectionStrings:cache", "flat:1", "appsettings.json"},
		{"comments and trailing commas", map[string]string{"appsettings.json": "\xef\xbb\xbf// the cache\n{\n  /* block\n comment */ \"A\": {\"B\": \"http://x//y\",},\n  \"C\": [1, 2,],\n}\n"}, nil,
			"A:B", "http://x//y", "appsettings.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustLoad(t, tt.files, tt.environ...)
			got, ok := cfg.String(tt.key)
			if !ok || got != tt.want {
				t.Errorf("String(%q) = %q, %v; want %q, true", tt.key, got, ok, tt.want)
			}
			if src := cfg.Source(tt.key); !strings.HasSuffix(src, tt.source) {
				t.Errorf("Source(%q) = %q; want suffix %q", tt.key, src, tt.source)
			}
		})
	}
}

func TestLoadConfigArrayKeys(t *testing.T) {
	cfg := mustLoad(t, map[string]string{"appsettings.json": `{"C": [1, 2,], "E": {}, "F": []}`})
	if got, want := cfg.st().Keys(), []string{"C:0", "C:1"}; !slices.Equal(got, want) {
		t.Errorf("Keys() = %q; want %q (empty objects and arrays hold no value)", got, want)
	}
}

func TestLoadConfigEnvironmentName(t *testing.T) {
	tests := []struct {
		name    string
		opt     string
		environ []string
		want    string
	}{
		{"default", "", nil, "Production"},
		{"DOTNET_ENVIRONMENT", "", []string{"DOTNET_ENVIRONMENT=Development"}, "Development"},
		{"ASPNETCORE_ENVIRONMENT", "", []string{"ASPNETCORE_ENVIRONMENT=Staging"}, "Staging"},
		{"DOTNET_ENVIRONMENT first", "", []string{"DOTNET_ENVIRONMENT=Development", "ASPNETCORE_ENVIRONMENT=Staging"}, "Development"},
		{"empty DOTNET_ENVIRONMENT skipped", "", []string{"DOTNET_ENVIRONMENT=", "ASPNETCORE_ENVIRONMENT=Staging"}, "Staging"},
		{"explicit wins", "Test", []string{"DOTNET_ENVIRONMENT=Development"}, "Test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"appsettings." + tt.want + ".json": `{"Picked": "yes"}`})
			environ := append([]string{}, tt.environ...)
			cfg, err := LoadConfig(LoadOptions{Dir: dir, Environment: tt.opt, Environ: environ})
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Environment(); got != tt.want {
				t.Errorf("Environment() = %q; want %q", got, tt.want)
			}
			if v, _ := cfg.String("picked"); v != "yes" {
				t.Errorf("appsettings.%s.json was not read", tt.want)
			}
		})
	}
}

func TestLoadConfigNoFiles(t *testing.T) {
	cfg, err := LoadConfig(LoadOptions{Dir: filepath.Join(t.TempDir(), "missing"), Environ: []string{"A__B=c", "=C:=x", "NOEQUALS"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.st().Keys(); !slices.Equal(got, []string{"A:B"}) {
		t.Errorf("Keys() = %q; want [A:B]", got)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		pos     string // "line:col"
		msg     string
	}{
		{"missing comma", "{\n  \"A\": 1\n  \"B\": 2\n}", "3:3", "after object value (expecting ',' or '}')"},
		{"bad literal", "{\n  \"A\": tru\n}", "2:8", "invalid value: not a string, number, true, false or null"},
		{"bad escape", "{\"A\": \"a\\qb\"}", "1:7", "invalid string: a bad escape sequence"},
		{"unterminated string", "{\"A\": \"x", "1:9", "unexpected EOF"},
		{"unterminated object", "{\"A\": {\"B\": 1}", "1:15", "unexpected EOF"},
		{"top-level array", "\n  [1, 2]", "2:3", "top-level JSON element must be an object"},
		{"top-level string", "\"x\"", "1:1", "top-level JSON element must be an object"},
		{"trailing data", "{\"A\": 1}\n{\"B\": 2}", "2:1", "after top-level value"},
		{"duplicate key", "{\n  \"A\": {\"b\": 1},\n  \"a\": {\"B\": 2}\n}", "3:9", `duplicate key "a:B"`},
		{"unterminated comment", "{\"A\": 1} /* oops", "1:10", "parsing comment: unexpected EOF"},
		{"only comments", "// nothing\n/* here */\n", "1:1", "only comments"},
		{"error after a UTF-8 BOM", "\xef\xbb\xbf{\n \"A\" 1}", "2:6", "after object name"},
		{"too deep", strings.Repeat("{\"a\":", MaxConfigDepth) + "[1]" + strings.Repeat("}", MaxConfigDepth), "1:321", "nested more than 64 levels"},
		{"too many values", "{\"a\": [" + strings.Repeat("1,", MaxConfigFileValues) + "1]}", "1:200003", "more than 100000 values"},
		{"non-ASCII before the error", "{\"Ä\": \"é\" x}", "1:11", "invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"appsettings.json": tt.content})
			_, err := LoadConfig(LoadOptions{Dir: dir, Environ: []string{}})
			if err == nil {
				t.Fatal("LoadConfig succeeded; want an error")
			}
			file := filepath.Join(dir, "appsettings.json")
			if want := file + ":" + tt.pos + ":"; !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not contain %q", err, want)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
			var fe *FileError
			if !errors.As(err, &fe) || fe.File != file {
				t.Errorf("error %v is not a *FileError for %s", err, file)
			}
		})
	}
}

func TestLoadConfigEmptyFile(t *testing.T) {
	dir := writeFiles(t, map[string]string{"appsettings.Production.json": " \n"})
	_, err := LoadConfig(LoadOptions{Dir: dir, Environ: []string{}})
	if err == nil || !strings.Contains(err.Error(), "appsettings.Production.json") || !strings.Contains(err.Error(), "empty") {
		t.Errorf("err = %v; want an error naming the empty file", err)
	}
}

func TestLoadConfigUnreadableFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "appsettings.json"), 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := LoadConfig(LoadOptions{Dir: dir, Environ: []string{}})
	if err == nil || !strings.Contains(err.Error(), "appsettings.json") {
		t.Errorf("err = %v; want an error naming appsettings.json", err)
	}
}

func TestNewConfig(t *testing.T) {
	cfg, err := NewConfig(map[string]any{
		"ConnectionStrings:cache": "localhost:6379",
		"Aspire": map[string]any{
			"StackExchange": map[string]any{
				"Redis": map[string]any{
					"DisableTracing":     true,
					"HealthCheckTimeout": 2 * time.Second,
					"chat":               map[string]string{"DisableMetrics": "True"},
					"ConfigurationOptions": map[string]any{
						"ConnectTimeout": 250,
						"Ratio":          0.5,
						"Small":          uint8(7),
						"Big":            int64(-1 << 40),
						"Unsigned":       uint(9),
						"Float32":        float32(0.25),
						"Number":         json.Number("1e3"),
					},
				},
			},
		},
		"List":    []any{"a", []string{"b"}},
		"Skipped": nil,
	})
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"connectionstrings:CACHE":                                        "localhost:6379",
		"Aspire:StackExchange:Redis:DisableTracing":                      "true",
		"Aspire:StackExchange:Redis:HealthCheckTimeout":                  "2s",
		"Aspire:StackExchange:Redis:chat:DisableMetrics":                 "True",
		"Aspire:StackExchange:Redis:ConfigurationOptions:ConnectTimeout": "250",
		"Aspire:StackExchange:Redis:ConfigurationOptions:Ratio":          "0.5",
		"Aspire:StackExchange:Redis:ConfigurationOptions:Small":          "7",
		"Aspire:StackExchange:Redis:ConfigurationOptions:Big":            "-1099511627776",
		"Aspire:StackExchange:Redis:ConfigurationOptions:Unsigned":       "9",
		"Aspire:StackExchange:Redis:ConfigurationOptions:Float32":        "0.25",
		"Aspire:StackExchange:Redis:ConfigurationOptions:Number":         "1e3",
		"List:0":   "a",
		"List:1:0": "b",
	} {
		if got, ok := cfg.String(key); !ok || got != want {
			t.Errorf("String(%q) = %q, %v; want %q", key, got, ok, want)
		}
		if src := cfg.Source(key); src != configstore.SourceValues {
			t.Errorf("Source(%q) = %q; want %q", key, src, configstore.SourceValues)
		}
	}
	if _, ok := cfg.String("Skipped"); ok {
		t.Error("a nil value is present")
	}
	if cfg.Source("nope") != "" {
		t.Error("Source of a missing key is not empty")
	}
}

func TestNewConfigErrors(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]any
		key    string
		msg    string
	}{
		{"two spellings", map[string]any{"ConnectionStrings:cache": "a", "ConnectionStrings": map[string]any{"Cache": "b"}},
			"ConnectionStrings:cache", "given twice"},
		{"unsupported type", map[string]any{"A": map[string]any{"B": struct{}{}}}, "A:B", "unsupported value type struct {}"},
		{"unsupported in slice", map[string]any{"A": []any{1, []int{2}}}, "A:1", "unsupported value type []int"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewConfig(tt.values)
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v; want a *ConfigError", err)
			}
			if !strings.EqualFold(ce.Key, tt.key) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %v (key %q); want key %q and %q", err, ce.Key, tt.key, tt.msg)
			}
		})
	}
}

func TestConfigNil(t *testing.T) {
	var cfg *Config
	if _, ok := cfg.String("a"); ok {
		t.Error("nil Config has a value")
	}
	if cfg.Source("a") != "" || cfg.Environment() != "" || cfg.st().Keys() != nil || cfg.st().Children("a") != nil || cfg.st().SourceUnder("a") != "" {
		t.Error("nil Config is not empty")
	}
	if len(cfg.Merge(nil).st().Keys()) != 0 {
		t.Error("nil.Merge(nil) is not empty")
	}
}

func TestConfigMerge(t *testing.T) {
	base := mustLoad(t, map[string]string{"appsettings.json": `{"A": "file", "B": "file"}`}, "DOTNET_ENVIRONMENT=Development")
	over, err := NewConfig(map[string]any{"a": "code"})
	if err != nil {
		t.Fatal(err)
	}
	m := base.Merge(over)
	if v, _ := m.String("A"); v != "code" || m.Source("A") != configstore.SourceValues {
		t.Errorf("A = %q from %q; want code from values", v, m.Source("A"))
	}
	if v, _ := m.String("B"); v != "file" {
		t.Errorf("B = %q; want file", v)
	}
	if m.Environment() != "Development" {
		t.Errorf("Environment() = %q; want Development", m.Environment())
	}
	if v, _ := base.String("A"); v != "file" {
		t.Error("Merge changed its receiver")
	}
}

func TestConfigChildren(t *testing.T) {
	cfg, err := NewConfig(map[string]any{
		"S:One":       "1",
		"s:one:deep":  "x",
		"S:Two:Deep":  "y",
		"S":           "value",
		"Other:Three": "3",
	})
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.st().Children("s")
	want := []configstore.Child{
		{Name: "One", Lower: "one", HasValue: true, HasKids: true},
		{Name: "Two", Lower: "two", HasKids: true},
	}
	if !slices.Equal(got, want) {
		t.Errorf("children = %+v; want %+v", got, want)
	}
	if got := cfg.st().SourceUnder("S:TWO"); got != configstore.SourceValues {
		t.Errorf("sourceUnder(S:TWO) = %q", got)
	}
	if got := cfg.st().SourceUnder("S:Three"); got != "" {
		t.Errorf("sourceUnder(S:Three) = %q", got)
	}
}

func TestLoadConfigLimitsAccepted(t *testing.T) {
	// Exactly at the limits: MaxConfigDepth levels and MaxConfigFileValues
	// values (the top-level object is one of them).
	deep := strings.Repeat(`{"a":`, MaxConfigDepth-1) + "[1]" + strings.Repeat("}", MaxConfigDepth-1)
	cfg := mustLoad(t, map[string]string{"appsettings.json": deep})
	if v, ok := cfg.String(strings.Repeat("a:", MaxConfigDepth-1) + "0"); !ok || v != "1" {
		t.Errorf("deepest value = %q, %v; want 1", v, ok)
	}
	many := `{"a": [` + strings.Repeat("1,", MaxConfigFileValues-3) + `1]}`
	cfg = mustLoad(t, map[string]string{"appsettings.json": many})
	if n := len(cfg.st().Keys()); n != MaxConfigFileValues-2 {
		t.Errorf("%d keys; want %d", n, MaxConfigFileValues-2)
	}
}

// keyBomb returns an appsettings document of levels nested objects, each
// with a keyLen-byte key, around an array of n numbers: small, but every
// number's key repeats all the enclosing keys.
func keyBomb(levels, keyLen, n int) string {
	var b strings.Builder
	for i := range levels {
		fmt.Fprintf(&b, `{"%0*d":`, keyLen, i)
	}
	b.WriteString("[")
	b.WriteString(strings.Repeat("1,", n-1))
	b.WriteString("1]")
	b.WriteString(strings.Repeat("}", levels))
	return b.String()
}

// nestedBomb is keyBomb's document as nested maps, as NewConfig and
// FromKoanf take it.
func nestedBomb(levels, keyLen, n int) map[string]any {
	var v any = slices.Repeat([]any{1}, n)
	for i := range levels {
		v = map[string]any{fmt.Sprintf("%0*d", keyLen, i): v}
	}
	return v.(map[string]any)
}

// TestConfigKeyBytesBounded: a 213 KB file whose flattened keys would take
// 1.5 GB (it took 73 s and 3.4 GB) is rejected once its keys pass
// MaxConfigKeyBytes, and so is the same shape given to NewConfig.
func TestConfigKeyBytesBounded(t *testing.T) {
	const levels, keyLen, n = 60, 250, 99_001
	want := fmt.Sprintf("add up to more than %d bytes", MaxConfigKeyBytes)

	t.Run("file", func(t *testing.T) {
		doc := keyBomb(levels, keyLen, n)
		if len(doc) > 220_000 {
			t.Fatalf("the document has %d bytes", len(doc))
		}
		dir := writeFiles(t, map[string]string{"appsettings.json": doc})
		_, err := LoadConfig(LoadOptions{Dir: dir, Environ: []string{}})
		var fe *FileError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), want) {
			t.Fatalf("err = %v; want a *FileError saying the keys %s", err, want)
		}
		if fe.Line != 1 || fe.Column <= levels*(keyLen+4) {
			t.Errorf("error at %d:%d; want inside the array", fe.Line, fe.Column)
		}
	})
	t.Run("NewConfig", func(t *testing.T) {
		_, err := NewConfig(nestedBomb(levels, keyLen, n))
		var ce *ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), want) {
			t.Fatalf("err = %v; want a *ConfigError saying the keys %s", err, want)
		}
		if len(err.Error()) > 1000 {
			t.Errorf("the error has %d bytes: %.200s...", len(err.Error()), err)
		}
	})
}

func TestLoadConfigTooLarge(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "appsettings.json")
	// A sparse file: its size is what counts, it is never read.
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxConfigFileBytes + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = LoadConfig(LoadOptions{Dir: dir, Environ: []string{}})
	var fe *FileError
	if !errors.As(err, &fe) || fe.File != path || !strings.Contains(err.Error(), "more than the 16777216 (16 MiB)") {
		t.Fatalf("err = %v; want a *FileError for %s naming the size limit", err, path)
	}
	if want := "settings: " + path + ": the file has 16777217 bytes"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %q; want prefix %q", err, want)
	}
}

// encodeUTF16 encodes s as UTF-16 with a byte-order mark.
func encodeUTF16(s string, bigEndian bool) []byte {
	var out []byte
	put := func(u uint16) {
		if bigEndian {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	put(0xfeff)
	for _, u := range utf16.Encode([]rune(s)) {
		put(u)
	}
	return out
}

// encodeUTF32 encodes s as UTF-32 with a byte-order mark.
func encodeUTF32(s string, bigEndian bool) []byte {
	var out []byte
	for _, r := range "\ufeff" + s {
		if bigEndian {
			out = binary.BigEndian.AppendUint32(out, uint32(r))
		} else {
			out = binary.LittleEndian.AppendUint32(out, uint32(r))
		}
	}
	return out
}

func TestLoadConfigEncodings(t *testing.T) {
	const doc = "{\n  // Käse 🧀\n  \"ConnectionStrings\": {\"cache\": \"höst:6379,password=ü🔑\"}\n}\n"
	const want = "höst:6379,password=ü🔑"
	tests := []struct {
		name string
		data []byte
	}{
		{"UTF-8", []byte(doc)},
		{"UTF-8 with BOM", append([]byte("\xef\xbb\xbf"), doc...)},
		{"UTF-16LE with BOM", encodeUTF16(doc, false)},
		{"UTF-16BE with BOM", encodeUTF16(doc, true)},
		{"UTF-32LE with BOM", encodeUTF32(doc, false)},
		{"UTF-32BE with BOM", encodeUTF32(doc, true)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustLoad(t, map[string]string{"appsettings.json": string(tt.data)})
			if got, _ := cfg.String("ConnectionStrings:cache"); got != want {
				t.Errorf("ConnectionStrings:cache = %q; want %q", got, want)
			}
		})
	}
}

func TestLoadConfigEncodingErrors(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string // in the error
	}{
		{"UTF-16 odd length", append(encodeUTF16(`{"A": 1}`, false), 'x'), "odd number of bytes"},
		{"UTF-32 bad length", append(encodeUTF32(`{"A": 1}`, true), 'x'), "not a multiple of 4"},
		// Positions count characters of the decoded text.
		{"UTF-16 syntax error", encodeUTF16("{\n \"Ä\": 1 2}", false), "appsettings.json:2:9: invalid character '2'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"appsettings.json": string(tt.data)})
			_, err := LoadConfig(LoadOptions{Dir: dir, Environ: []string{}})
			var fe *FileError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v; want a *FileError containing %q", err, tt.want)
			}
		})
	}
}

func TestLoadConfigDirAndFiles(t *testing.T) {
	dir := writeFiles(t, map[string]string{"appsettings.json": `{"A": 1}`, "appsettings.Staging.json": `{"B": 2}`})
	cfg, err := LoadConfig(LoadOptions{Dir: dir, Environment: "Staging", Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.st().Dir() != dir {
		t.Errorf("Dir() = %q; want %q", cfg.st().Dir(), dir)
	}
	want := []string{filepath.Join(dir, "appsettings.json"), filepath.Join(dir, "appsettings.Staging.json")}
	if got := cfg.st().Files(); !slices.Equal(got, want) {
		t.Errorf("Files() = %q; want %q", got, want)
	}
	if m := (&Config{}).Merge(cfg); m.st().Dir() != dir || len(m.st().Files()) != 2 {
		t.Errorf("Merge lost Dir/Files: %q %q", m.st().Dir(), m.st().Files())
	}
	empty, err := LoadConfig(LoadOptions{Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if wd, _ := os.Getwd(); empty.st().Dir() != wd || len(empty.st().Files()) != 0 {
		t.Errorf("Dir() = %q, Files() = %q; want the working directory %q and no files", empty.st().Dir(), empty.st().Files(), wd)
	}
}

func TestNewConfigFromKoanf(t *testing.T) {
	load := func(t *testing.T, delim string, values map[string]any) *koanf.Koanf {
		t.Helper()
		k := koanf.New(delim)
		if err := k.Load(confmap.Provider(values, delim), nil); err != nil {
			t.Fatal(err)
		}
		return k
	}
	t.Run("keys and values", func(t *testing.T) {
		k := load(t, "/", map[string]any{
			"ConnectionStrings/Cache": "a:1",
			"list":                    []any{"x", 2, true},
			"timeout":                 2 * time.Second,
		})
		cfg, err := NewConfig(k.Raw())
		if err != nil {
			t.Fatal(err)
		}
		for key, want := range map[string]string{"connectionstrings:cache": "a:1", "LIST:0": "x", "list:1": "2", "list:2": "true", "Timeout": "2s"} {
			if got, ok := cfg.String(key); !ok || got != want {
				t.Errorf("String(%q) = %q, %v; want %q", key, got, ok, want)
			}
		}
	})
	t.Run("keys differing in case", func(t *testing.T) {
		_, err := NewConfig(load(t, ".", map[string]any{"a.B": "1", "a.b": "2"}).Raw())
		var ce *ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "case-insensitive") {
			t.Errorf("err = %v; want a *ConfigError about case", err)
		}
	})
}

// A malformed value is described, never quoted: it may be a password.
func TestLoadConfigErrorsDoNotQuoteValues(t *testing.T) {
	for _, doc := range []string{
		`{"ConnectionStrings": {"cache": "h:1,password=s3cr\qet"}}`,
		`{"Password": s3cr3tpw}`,
		"{\"Password\": \"s3cr\x01et\"}",
	} {
		dir := writeFiles(t, map[string]string{"appsettings.json": doc})
		_, err := LoadConfig(LoadOptions{Dir: dir, Environ: []string{}})
		if err == nil {
			t.Fatalf("LoadConfig(%q) succeeded", doc)
		}
		for e := err; e != nil; e = errors.Unwrap(e) {
			if strings.Contains(e.Error(), "s3cr") {
				t.Errorf("error %q quotes the value of %q", e, doc)
			}
		}
	}
}
