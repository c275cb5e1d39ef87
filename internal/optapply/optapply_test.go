package optapply

import (
	"errors"
	"testing"
)

type opts struct{ n int }

type option func(*opts) error

func TestApply(t *testing.T) {
	set := func(n int) option { return func(o *opts) error { o.n = n; return nil } }
	bad := errors.New("WithN(-2): negative")
	var o opts
	if err := Apply("pkg", &o, []option{set(1), set(2)}); err != nil || o.n != 2 {
		t.Fatalf("Apply = %v, n = %d; want nil, 2 (applied in order)", err, o.n)
	}
	err := Apply("pkg", &o, []option{set(3), func(*opts) error { return bad }, set(4)})
	if !errors.Is(err, bad) || err.Error() != "pkg: WithN(-2): negative" || o.n != 3 {
		t.Fatalf("Apply = %v, n = %d; want the first error, prefixed, and nothing after it applied", err, o.n)
	}
	if err := Apply("pkg", &o, []option{set(5), nil}); err == nil || err.Error() != "pkg: option 1 is nil" {
		t.Fatalf("Apply with a nil option = %v", err)
	}
}
