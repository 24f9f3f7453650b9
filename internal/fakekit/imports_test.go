package fakekit

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// isDemoCommand reports the demo command's files (cmd/rfmsync/demo*.go),
// which run the fakes on purpose.
func isDemoCommand(rel string) bool {
	dir, file := filepath.Split(filepath.ToSlash(rel))
	return dir == "cmd/rfmsync/" && strings.HasPrefix(file, "demo")
}

// TestOnlyFakesAndTheDemoImportTheKit keeps the fakes out of production
// paths: the kit is imported only by fake packages (…test), and a fake only
// by tests, other fakes' tests and the demo.
func TestOnlyFakesAndTheDemoImportTheKit(t *testing.T) {
	const module = "github.com/rfmsync/rfmsync/"
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	isFake := func(importPath string) bool {
		return strings.HasPrefix(importPath, module+"connectors/") && strings.HasSuffix(importPath, "test")
	}
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		dir := filepath.ToSlash(filepath.Dir(rel))
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			checked++
			switch {
			case p == module+"internal/fakekit" && !isFake(module+dir):
				t.Errorf("%s imports the fake kit; only fakes may", rel)
			case isFake(p) && !isFake(module+dir) && dir != "internal/demo" && !isDemoCommand(rel):
				t.Errorf("%s imports the fake %s outside tests and the demo", rel, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("checked only %d imports: wrong root %s?", checked, root)
	}
}
