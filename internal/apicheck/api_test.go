package apicheck

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite api/exported.txt from the code")

const (
	modulePath = "github.com/aspirego/redis"
	recordPath = "api/exported.txt"
	updateCmd  = "go test ./internal/apicheck -run TestExportedAPI -update"
)

// TestExportedAPI fails when the exported API differs from the checked-in
// record, listing each line added or gone and the command that updates the
// record.
func TestExportedAPI(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	got, err := List(root, modulePath)
	if err != nil {
		t.Fatal(err)
	}
	record := filepath.Join(root, recordPath)
	if *update {
		if err := os.WriteFile(record, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d lines)", recordPath, len(got))
		return
	}
	data, err := os.ReadFile(record)
	if err != nil {
		t.Fatalf("the API record is missing: %v\nrun: %s", err, updateCmd)
	}
	want := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	var added, gone []string
	for _, l := range got {
		if !slices.Contains(want, l) {
			added = append(added, "+ "+l)
		}
	}
	for _, l := range want {
		if !slices.Contains(got, l) {
			gone = append(gone, "- "+l)
		}
	}
	if len(added)+len(gone) == 0 {
		return
	}
	msg := "the exported API differs from " + recordPath + ":\n" + strings.Join(append(gone, added...), "\n") +
		"\n\nIf the change is intended, run: " + updateCmd
	if len(gone) > 0 {
		msg += "\nand write each removed or changed line (-) down in CHANGELOG.md: it breaks users."
	}
	t.Fatal(msg)
}

func TestListSkipsInternalAndCommands(t *testing.T) {
	got, err := List("../..", modulePath)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 {
		t.Fatal("no exported API found")
	}
	for _, l := range got {
		for _, bad := range []string{"/internal/", "/cmd/", "/examples/", "/docs/"} {
			if strings.Contains(l, bad) {
				t.Errorf("listed a package that is not API: %s", l)
			}
		}
	}
}
