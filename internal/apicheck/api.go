package apicheck

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// skipDirs are the top-level folders whose packages are not part of the API:
// internal packages, commands, examples and the tested documentation.
var skipDirs = []string{"internal", "cmd", "examples", "docs", "testdata", "api"}

// List returns the exported API of every library package below root (the
// module root), whose import paths start with modulePath, sorted.
func List(root, modulePath string) ([]string, error) {
	var lines []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		name := d.Name()
		if rel != "." && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "internal") {
			return filepath.SkipDir
		}
		if slices.Contains(skipDirs, strings.SplitN(rel, "/", 2)[0]) {
			return filepath.SkipDir
		}
		importPath := modulePath
		if rel != "." {
			importPath += "/" + rel
		}
		pkgLines, err := listDir(path, importPath)
		if err != nil {
			return err
		}
		lines = append(lines, pkgLines...)
		return nil
	})
	slices.Sort(lines)
	return slices.Compact(lines), err
}

// listDir lists the exported declarations of the non-test, non-main
// package in dir.
func listDir(dir, importPath string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("apicheck: %w", err)
		}
		if f.Name.Name == "main" || !buildable(f) {
			continue
		}
		files = append(files, f)
	}
	l := lister{fset: fset, prefix: "pkg " + importPath + ", "}
	for _, f := range files {
		for _, decl := range f.Decls {
			l.decl(decl)
		}
	}
	return l.lines, nil
}

// buildable reports whether f has no build constraint that excludes it
// from an ordinary build (an "ignore" tag, as generators use).
func buildable(f *ast.File) bool {
	for _, cg := range f.Comments {
		if cg.Pos() > f.Package {
			break
		}
		for _, c := range cg.List {
			if strings.HasPrefix(c.Text, "//go:build") && strings.Contains(c.Text, "ignore") {
				return false
			}
		}
	}
	return true
}

type lister struct {
	fset   *token.FileSet
	prefix string
	lines  []string
}

func (l *lister) add(format string, args ...any) {
	l.lines = append(l.lines, l.prefix+fmt.Sprintf(format, args...))
}

func (l *lister) node(n ast.Node) string {
	var b bytes.Buffer
	if err := printer.Fprint(&b, l.fset, n); err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

func (l *lister) decl(decl ast.Decl) {
	switch d := decl.(type) {
	case *ast.FuncDecl:
		if !d.Name.IsExported() {
			return
		}
		sig := strings.TrimPrefix(l.node(d.Type), "func")
		if d.Recv == nil {
			l.add("func %s%s", d.Name.Name, sig)
			return
		}
		recv := d.Recv.List[0].Type
		if !ast.IsExported(baseTypeName(recv)) {
			return
		}
		l.add("method (%s) %s%s", l.node(recv), d.Name.Name, sig)
	case *ast.GenDecl:
		for _, spec := range d.Specs {
			switch s := spec.(type) {
			case *ast.TypeSpec:
				l.typeSpec(s)
			case *ast.ValueSpec:
				kind := "var"
				if d.Tok == token.CONST {
					kind = "const"
				}
				for _, name := range s.Names {
					if !name.IsExported() {
						continue
					}
					if s.Type != nil {
						l.add("%s %s %s", kind, name.Name, l.node(s.Type))
					} else {
						l.add("%s %s", kind, name.Name)
					}
				}
			}
		}
	}
}

func (l *lister) typeSpec(s *ast.TypeSpec) {
	if !s.Name.IsExported() {
		return
	}
	name := s.Name.Name
	if s.TypeParams != nil {
		name += l.node(s.TypeParams)
	}
	assign := ""
	if s.Assign.IsValid() {
		assign = "= "
	}
	switch t := s.Type.(type) {
	case *ast.StructType:
		l.add("type %s %sstruct", name, assign)
		for _, f := range t.Fields.List {
			if len(f.Names) == 0 { // embedded
				if ast.IsExported(baseTypeName(f.Type)) {
					l.add("type %s struct, embedded %s", s.Name.Name, l.node(f.Type))
				}
				continue
			}
			for _, n := range f.Names {
				if n.IsExported() {
					l.add("type %s struct, %s %s", s.Name.Name, n.Name, l.node(f.Type))
				}
			}
		}
	case *ast.InterfaceType:
		l.add("type %s %sinterface", name, assign)
		for _, m := range t.Methods.List {
			if len(m.Names) == 0 {
				l.add("type %s interface, embedded %s", s.Name.Name, l.node(m.Type))
				continue
			}
			for _, n := range m.Names {
				if n.IsExported() {
					l.add("type %s interface, %s%s", s.Name.Name, n.Name, strings.TrimPrefix(l.node(m.Type), "func"))
				}
			}
		}
	default:
		l.add("type %s %s%s", name, assign, l.node(s.Type))
	}
}

// baseTypeName returns the name of the type a receiver or embedded field
// names, without pointer, package or type arguments.
func baseTypeName(e ast.Expr) string {
	for {
		switch t := e.(type) {
		case *ast.StarExpr:
			e = t.X
		case *ast.IndexExpr:
			e = t.X
		case *ast.IndexListExpr:
			e = t.X
		case *ast.SelectorExpr:
			return t.Sel.Name
		case *ast.Ident:
			return t.Name
		default:
			return ""
		}
	}
}
