package tenanttest_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/tenanttest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// eachServer runs f on SQLite, and on PostgreSQL when the test server is
// there (and it must be under scripts/test.sh).
func eachServer(t *testing.T, f func(t *testing.T, server tenanttest.Option)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { f(t, tenanttest.SQLite()) })
	if os.Getenv(testenv.EnvPG) == "" && !testenv.Required() {
		t.Logf("PostgreSQL part skipped: %s not set (scripts/test.sh sets it)", testenv.EnvPG)
		return
	}
	t.Run("postgres", func(t *testing.T) { f(t, tenanttest.Postgres(testenv.PostgresURL(t))) })
}

// postgresURL returns the test server's URL, "" when there is none and
// none is required.
func postgresURL(tb testing.TB) string {
	if os.Getenv(testenv.EnvPG) == "" && !testenv.Required() {
		return ""
	}
	return testenv.PostgresURL(tb)
}

// fakeTB is a testing.TB whose failures are recorded instead of failing
// the test: it shows what a helper reports. Its Fatal ends the goroutine
// that runs the body (see run). Methods it does not define panic.
type fakeTB struct {
	testing.TB // nil

	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	cleanups []func()
	dirs     []string
	failed   bool
	fatal    bool
	msgs     []string
}

func newFakeTB() *fakeTB {
	ctx, cancel := context.WithCancel(context.Background())
	return &fakeTB{ctx: ctx, cancel: cancel}
}

func (f *fakeTB) Helper()                  {}
func (f *fakeTB) Name() string             { return "fake" }
func (f *fakeTB) Context() context.Context { return f.ctx }

func (f *fakeTB) Cleanup(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cleanups = append(f.cleanups, fn)
}

func (f *fakeTB) TempDir() string {
	dir, err := os.MkdirTemp("", "tenanttest-fake-")
	if err != nil {
		panic(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dirs = append(f.dirs, dir)
	return dir
}

func (f *fakeTB) Log(args ...any)                 { f.record(fmt.Sprint(args...)) }
func (f *fakeTB) Logf(format string, args ...any) { f.record(fmt.Sprintf(format, args...)) }
func (f *fakeTB) Error(args ...any)               { f.Log(args...); f.Fail() }
func (f *fakeTB) Errorf(format string, args ...any) {
	f.Logf(format, args...)
	f.Fail()
}
func (f *fakeTB) Fatal(args ...any)                 { f.Log(args...); f.FailNow() }
func (f *fakeTB) Fatalf(format string, args ...any) { f.Logf(format, args...); f.FailNow() }

func (f *fakeTB) Fail() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed = true
}

func (f *fakeTB) FailNow() {
	f.mu.Lock()
	f.failed, f.fatal = true, true
	f.mu.Unlock()
	runtime.Goexit()
}

func (f *fakeTB) Failed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed
}

func (f *fakeTB) record(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.msgs = append(f.msgs, s)
}

// output is everything logged, one message a line.
func (f *fakeTB) output() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.msgs, "\n")
}

// run runs body as the fake test's body, on a goroutine of its own so
// that Fatal can end it, then ends the fake test: its context, then its
// cleanups, last registered first.
func (f *fakeTB) run(body func(t testing.TB)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		body(f)
	}()
	<-done
	f.finish()
}

func (f *fakeTB) finish() {
	f.cancel()
	f.mu.Lock()
	cleanups, dirs := f.cleanups, f.dirs
	f.cleanups, f.dirs = nil, nil
	f.mu.Unlock()
	for _, fn := range slices.Backward(cleanups) {
		fn()
	}
	for _, d := range dirs {
		_ = os.RemoveAll(d)
	}
}

// test runs body as a test would run it, for the examples: go test gives
// a test its *testing.T, an example has none. A failure prints the
// messages.
func test(body func(t testing.TB)) {
	f := newFakeTB()
	f.run(body)
	if f.Failed() {
		fmt.Println("FAILED:", f.output())
	}
}
