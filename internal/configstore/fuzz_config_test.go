package configstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// flattenReference flattens standard JSON with encoding/json, the way
// .NET's JsonConfigurationFileParser does, as an oracle for
// parseJSONConfig. ok is false when doc is not a JSON object.
func flattenReference(doc []byte) (map[string]string, bool) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, false
	}
	obj, ok := root.(map[string]any)
	if !ok {
		return nil, false
	}
	out := make(map[string]string)
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				walk(joinKey(prefix, k), x)
			}
		case []any:
			for i, x := range v {
				walk(joinKey(prefix, strconv.Itoa(i)), x)
			}
		case nil:
			out[prefix] = ""
		case bool:
			out[prefix] = strconv.FormatBool(v)
		case json.Number:
			out[prefix] = v.String()
		case string:
			out[prefix] = v
		}
	}
	for k, x := range obj {
		walk(k, x)
	}
	return out, true
}

// FuzzLoadConfig checks the appsettings reader: it never panics; every
// error is a *FileError whose position lies inside the file; the keys it
// returns are unique case-insensitively; and on standard JSON it finds
// every value encoding/json finds.
func FuzzLoadConfig(f *testing.F) {
	for _, seed := range []string{
		`{"ConnectionStrings": {"cache": "localhost:6379,password=p@ss"}}`,
		"\xef\xbb\xbf// c\n{\"A\": [1, {\"B\": null}, [true,],], /* x */ \"C\": 1.50e3,}",
		`{"a": {"b": 1}, "A": {"B": 2}}`,
		`{"a": "\u00e9\ud83d\ude00\n", "b": -0.0}`,
		"\xff\xfe{\x00\"\x00a\x00\"\x00:\x001\x00}\x00",
		`[1, 2]`,
		`{"a": [[[[[[[[[[]]]]]]]]]]}`,
		"{\"a\": 1} /* open",
		"{\n\"a\" 1}",
		fmt.Sprintf(`{"%040d":{"%040d":{"%040d":[%s1]}}}`, 0, 1, 2, strings.Repeat("1,", 19)), // keys that repeat the enclosing keys
		`{"a": {"b": {}, "c": [[], {}]}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		values, err := parseJSONConfig("appsettings.json", data)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || fe.File != "appsettings.json" {
				t.Fatalf("error %v is not a *FileError naming the file", err)
			}
			if fe.Line != 0 && (fe.Line < 1 || fe.Column < 1 || fe.Line > 1+bytes.Count(data, []byte("\n"))) {
				t.Fatalf("error %v: position %d:%d outside the file", err, fe.Line, fe.Column)
			}
			return
		}
		got := make(map[string]string, len(values))
		lower := make(map[string]bool, len(values))
		for _, kv := range values {
			lk := strings.ToLower(kv.key)
			if lower[lk] {
				t.Fatalf("key %q returned twice", kv.key)
			}
			lower[lk] = true
			got[kv.key] = kv.value
		}
		if len(data) > 0 && data[0] < 0x80 && json.Valid(data) {
			want, ok := flattenReference(data)
			if !ok {
				t.Fatalf("parsed %q, which encoding/json does not read as an object", data)
			}
			// encoding/json keeps only the last of two sections with one
			// name; .NET (and parseJSONConfig) merge them. So every value
			// encoding/json finds must be there, and maybe more.
			for k, v := range want {
				if g, ok := got[k]; !ok || g != v {
					t.Fatalf("parseJSONConfig(%q) = %v; encoding/json flattens it to %v", data, got, want)
				}
			}
		}
	})
}
