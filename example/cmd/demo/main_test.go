package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestDemo(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-dir", dir}, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"Databases in " + dir + " (kept)",
		"central.db   audit_logs: tenant-1.localhost, tenant-2.localhost",
		"tenant-1.db  hospitals:  City Hospital\n",
		"tenant-1.db  patients:   Ada, Grace\n",
		"tenant-2.db  hospitals:  Harbour Clinic\n",
		"tenant-2.db  patients:   Linus\n",
		"without a tenant: tenant: no tenant in context",
		`as an unknown tenant: tenant "tenant-9.localhost": tenant: unknown tenant`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	for _, f := range []string{"central.db", "tenant-1.db", "tenant-2.db"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("-dir: %v", err)
		}
	}
}

// demoDir is the directory the demo says it wrote to.
var demoDir = regexp.MustCompile(`Databases in (\S+) \(`)

func TestDemoTemporaryDirectory(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	for _, tc := range []struct {
		args []string
		kept bool
		says string
	}{
		{nil, false, "(removed at exit; -keep keeps them)"},
		{[]string{"-keep"}, true, "(kept)"},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), tc.args, &out); err != nil {
			t.Fatalf("%v: %v\n%s", tc.args, err, out.String())
		}
		m := demoDir.FindStringSubmatch(out.String())
		if m == nil || !strings.Contains(out.String(), tc.says) {
			t.Fatalf("%v: output does not say where the files are and whether they stay (%q):\n%s", tc.args, tc.says, out.String())
		}
		_, err := os.Stat(filepath.Join(m[1], "central.db"))
		if kept := err == nil; kept != tc.kept {
			t.Errorf("%v: %s kept = %v, want %v (%v)", tc.args, m[1], kept, tc.kept, err)
		}
	}
}

func TestDemoRefusesArguments(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-dir", t.TempDir(), "extra"}, &out); err == nil || !strings.Contains(err.Error(), `"extra"`) {
		t.Fatalf("run with an extra argument: %v", err)
	}
}
