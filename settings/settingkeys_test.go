package settings

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSettingsKeysBind: every key of the table binds its own field of
// Settings, with the parser of its kind, through bindSettings.
func TestSettingsKeysBind(t *testing.T) {
	value := map[settingKind]string{kindString: "localhost:1", kindBool: "TRUE", kindTimeout: "00:00:03", kindDelay: "3ms", kindCount: "7"}
	seen := map[uintptr]string{}
	for _, k := range settingKeys {
		t.Run(k.name, func(t *testing.T) {
			var s Settings
			p := reflect.ValueOf(k.field(&s))
			if other, dup := seen[p.Pointer()]; dup {
				t.Fatalf("%s binds the field of %s", k.name, other)
			}
			seen[p.Pointer()] = k.name
			want := map[settingKind]reflect.Type{
				kindString: reflect.TypeFor[*string](), kindBool: reflect.TypeFor[*bool](),
				kindTimeout: reflect.TypeFor[*time.Duration](), kindDelay: reflect.TypeFor[*time.Duration](),
				kindCount: reflect.TypeFor[*int](),
			}[k.kind]
			if p.Type() != want {
				t.Fatalf("field is %v, kind wants %v", p.Type(), want)
			}
			// Through a configuration section, the key in lower case.
			cfg := newConfig(t, map[string]any{SectionKey + ":cache:" + strings.ToLower(k.name): value[k.kind]})
			if _, err := bindSettings(cfg, SectionKey+":cache", &s); err != nil {
				t.Fatal(err)
			}
			if p.Elem().IsZero() {
				t.Errorf("%s=%q left the field at its zero value", k.name, value[k.kind])
			}
			// Zero: a delay or a count may be zero, a timeout may not.
			if k.kind != kindString && k.kind != kindBool {
				cfg := newConfig(t, map[string]any{SectionKey + ":" + k.name: "0"})
				_, err := bindSettings(cfg, SectionKey, &Settings{})
				if zeroOK := k.kind != kindTimeout; (err == nil) != zeroOK {
					t.Errorf("%s=0: err = %v, want an error: %v", k.name, err, !zeroOK)
				}
			}
			// A bad value names the key.
			if k.kind != kindString {
				cfg := newConfig(t, map[string]any{SectionKey + ":" + k.name: "bad"})
				_, err := bindSettings(cfg, SectionKey, &Settings{})
				if err == nil || !strings.Contains(err.Error(), SectionKey+":"+k.name) {
					t.Errorf("err = %v, want one naming %s", err, k.name)
				}
			}
		})
	}
	if got := settingsKeys(); len(got) != len(settingKeys) || got[0] != keyConnectionString {
		t.Errorf("settingsKeys() = %v", got)
	}
}

// TestSettingsKeysDocs: the "Settings keys" table of docs/configuration.md
// lists exactly SettingsKeys, in order.
func TestSettingsKeysDocs(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(b), "\n## Settings keys\n")
	if !ok {
		t.Fatal("docs/configuration.md has no section \"## Settings keys\"")
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	var got []string
	types := map[string]string{}
	for line := range strings.Lines(sec) {
		if !strings.HasPrefix(line, "|") {
			if len(got) > 0 {
				break // the end of the first table
			}
			continue
		}
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cell, _, _ := strings.Cut(strings.TrimPrefix(line, "| `"), "`")
		got = append(got, cell)
		if cols := strings.Split(line, "|"); len(cols) > 2 {
			types[cell] = strings.TrimSpace(cols[2])
		}
	}
	// The type column agrees with each key's kind.
	for _, k := range settingKeys {
		typ := types[k.name]
		var want settingKind
		switch {
		case typ == "string":
			want = kindString
		case typ == "bool":
			want = kindBool
		case strings.HasPrefix(typ, "whole number"):
			want = kindCount
		case strings.HasPrefix(typ, "TimeSpan") && strings.Contains(typ, "0 or more"):
			want = kindDelay
		case strings.HasPrefix(typ, "TimeSpan") && strings.Contains(typ, "greater than zero"):
			want = kindTimeout
		default:
			t.Errorf("docs/configuration.md: %s has type %q, which names no kind", k.name, typ)
			continue
		}
		if k.kind != want {
			t.Errorf("docs/configuration.md: %s has type %q (kind %d), the table kind %d", k.name, typ, want, k.kind)
		}
	}
	if want := settingsKeys(); !slices.Equal(got, want) {
		t.Errorf("docs/configuration.md Settings keys table lists\n%v\nsettings.settingsKeys() is\n%v", got, want)
	}
}
