package docs_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Pages written by others, which this check leaves alone.
var notChecked = map[string]bool{"benchmarks.md": true, "reliability.md": true}

// fromLine names the file a snippet is taken from:
// (from [docs/examples/keyed_test.go](examples/keyed_test.go)).
var fromLine = regexp.MustCompile(`^\(from \[?(docs/examples/[\w./-]+)`)

// TestSnippets checks that every Go snippet in the pages is a region of a
// file here, named on the line after the snippet, and that so is every
// other snippet that names a file.
func TestSnippets(t *testing.T) {
	for _, page := range pages(t) {
		lines := readLines(t, filepath.Join("..", page))
		for i := 0; i < len(lines); i++ {
			lang, ok := strings.CutPrefix(lines[i], "```")
			if !ok || lang == "" {
				continue
			}
			start := i + 1
			for i++; i < len(lines) && lines[i] != "```"; i++ {
			}
			block := lines[start:i]
			m := fromLine.FindStringSubmatch(next(lines, i+1))
			switch {
			case m != nil:
				file := readLines(t, filepath.Join("..", "..", m[1]))
				if !isRegion(block, file) {
					t.Errorf("%s:%d: the %s snippet is not a region of %s", page, start, lang, m[1])
				}
			case lang == "go":
				t.Errorf("%s:%d: Go snippet without a (from docs/examples/...) line after it", page, start)
			}
		}
	}
}

// TestLinks checks that relative links between the pages lead to files
// that exist and, for links into the pages, to headings that exist.
func TestLinks(t *testing.T) {
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	anchors := map[string]map[string]bool{}
	for _, page := range pages(t) {
		anchors[page] = headings(readLines(t, filepath.Join("..", page)))
	}
	for _, page := range pages(t) {
		for n, line := range readLines(t, filepath.Join("..", page)) {
			for _, m := range link.FindAllStringSubmatch(line, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				path, anchor, _ := strings.Cut(target, "#")
				if path == "" {
					path = page
				} else {
					path = filepath.Clean(filepath.Join(filepath.Dir(page), path))
					if _, err := os.Stat(filepath.Join("..", path)); err != nil {
						if notChecked[path] {
							// Written separately; reported, not failed, until it exists.
							t.Logf("%s:%d: link to %s, which does not exist yet", page, n+1, target)
						} else {
							t.Errorf("%s:%d: link to %s: %v", page, n+1, target, err)
						}
						continue
					}
				}
				if known, ok := anchors[path]; ok && anchor != "" && !known[anchor] {
					t.Errorf("%s:%d: link to %s: no such heading in %s", page, n+1, target, path)
				}
			}
		}
	}
}

// pages lists the Markdown pages of docs/ that this package checks.
func pages(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../*.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if name := filepath.Base(f); !notChecked[name] {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		t.Fatal("no pages found")
	}
	return out
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

// next returns the first non-blank line from i on.
func next(lines []string, i int) string {
	for ; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "" {
			return lines[i]
		}
	}
	return ""
}

// isRegion reports whether block, possibly with its indentation removed,
// is a run of consecutive lines of file.
func isRegion(block, file []string) bool {
	if len(block) == 0 {
		return false
	}
	for i := range file {
		indent, ok := strings.CutSuffix(file[i], block[0])
		if !ok || strings.TrimLeft(indent, "\t ") != "" || i+len(block) > len(file) {
			continue
		}
		match := true
		for j, b := range block {
			f := file[i+j]
			if b == "" {
				match = strings.TrimSpace(f) == ""
			} else {
				match = f == indent+b
			}
			if !match {
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// headings returns the anchors GitHub makes for the headings of a page.
func headings(lines []string) map[string]bool {
	out := map[string]bool{}
	inCode := false
	for _, l := range lines {
		if strings.HasPrefix(l, "```") {
			inCode = !inCode
		}
		if inCode || !strings.HasPrefix(l, "#") {
			continue
		}
		h := strings.ToLower(strings.TrimSpace(strings.TrimLeft(l, "#")))
		var b strings.Builder
		for _, r := range h {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
				b.WriteRune(r)
			}
		}
		out[b.String()] = true
	}
	return out
}
