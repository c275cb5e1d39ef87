package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestDemo(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-dir", t.TempDir()}, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"central.db   hospitals: City Hospital, Harbour Clinic",
		"tenant-1.db  patients: Ada, Grace",
		"tenant-2.db  patients: Linus",
		"without a tenant: tenant: no tenant in context",
		`as an unknown tenant: tenant "tenant-9.localhost": tenant: unknown tenant`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
