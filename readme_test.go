package tenantplugin_test

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeBlock is a Go code block of README.md.
type readmeBlock struct {
	line int    // of the opening fence
	file string // the file it shows, from a "<!-- file: PATH -->" line before it
	code string
}

// readmeBlocks returns the Go code blocks of README.md.
func readmeBlocks(t *testing.T) []readmeBlock {
	t.Helper()
	f, err := os.Open("README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		blocks []readmeBlock
		cur    *readmeBlock
		file   string
		n      int
	)
	marker := regexp.MustCompile(`^<!-- file: (\S+) -->$`)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
		l := sc.Text()
		switch {
		case cur != nil && l == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.code += l + "\n"
		case l == "```go":
			cur = &readmeBlock{line: n, file: file}
		case marker.MatchString(l):
			file = marker.FindStringSubmatch(l)[1]
			continue
		}
		if strings.TrimSpace(l) != "" {
			file = ""
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur != nil {
		t.Fatalf("README.md:%d: code block not closed", cur.line)
	}
	return blocks
}

// TestReadmeFilesAreTheCode keeps every README block that shows a whole
// file (the quick start) identical to that file, which the build and
// the linters check.
func TestReadmeFilesAreTheCode(t *testing.T) {
	files := 0
	for _, b := range readmeBlocks(t) {
		if b.file == "" {
			continue
		}
		files++
		want, err := os.ReadFile(filepath.FromSlash(b.file))
		if err != nil {
			t.Errorf("README.md:%d: %v", b.line, err)
			continue
		}
		if b.code != string(want) {
			t.Errorf("README.md:%d: the block differs from %s: copy the file into the README", b.line, b.file)
		}
	}
	if files == 0 {
		t.Error("README.md shows no whole file: the quick start must be one")
	}
}

// TestReadmeNamesExist checks that every name of this module's packages
// a README block uses (pkg.Name) is declared, so that a rename cannot
// leave the README behind.
func TestReadmeNamesExist(t *testing.T) {
	exported := moduleNames(t)
	use := regexp.MustCompile(`\b([a-z][a-z0-9]*)\.([A-Z]\w*)`)
	checked := 0
	for _, b := range readmeBlocks(t) {
		for _, m := range use.FindAllStringSubmatch(b.code, -1) {
			names, ours := exported[m[1]]
			if !ours {
				continue
			}
			checked++
			if !names[m[2]] {
				t.Errorf("README.md:%d: %s.%s is not declared in package %s", b.line, m[1], m[2], m[1])
			}
		}
	}
	if checked < 50 {
		t.Errorf("only %d names of the module's packages checked: is the README's code read?", checked)
	}
}

// moduleNames returns, for each package name of the module outside
// internal/ and testdata (and package main), its exported package-level
// names.
func moduleNames(t *testing.T) map[string]map[string]bool {
	t.Helper()
	out := map[string]map[string]bool{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "internal" || d.Name() == "cmd") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		if f.Name.Name == "main" {
			return nil
		}
		names := out[f.Name.Name]
		if names == nil {
			names = map[string]bool{}
			out[f.Name.Name] = names
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					names[d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						names[s.Name.Name] = true
					case *ast.ValueSpec:
						for _, n := range s.Names {
							names[n.Name] = true
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
