package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tenantrouter/tenantplugin/example/web"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
)

// Environment variables of the browser tests.
const (
	// envChromium names the browser to run; without it the first of
	// chromiumNames found in PATH.
	envChromium = "TENANTPLUGIN_CHROMIUM"
	// envArtifacts is the directory the screenshots go to; without it a
	// test directory.
	envArtifacts = "TENANTPLUGIN_ARTIFACTS"
	// envUpdateScreenshot=1 rewrites the README's screenshot,
	// readmeScreenshot.
	envUpdateScreenshot = "TENANTPLUGIN_UPDATE_SCREENSHOT"
)

// readmeScreenshot is the README's picture of the dashboard, relative to
// the module root.
const readmeScreenshot = "docs/dashboard.png"

// Browser sizes and bounds.
const (
	viewportWidth       = 1100
	viewportHeight      = 600
	browserStartTimeout = 30 * time.Second
	browserStopTimeout  = 10 * time.Second
	pollInterval        = 20 * time.Millisecond
	failureShotTimeout  = 5 * time.Second
)

// chromiumNames are the browsers looked for in PATH, in order.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// chromiumFlags are the browser's command line flags, all of them but
// the user data directory (and the debugging pipe chromedp adds).
var chromiumFlags = []string{
	"headless", "no-sandbox", "disable-gpu", "disable-background-networking",
	"disable-component-update", "disable-sync", "no-first-run",
}

// chromiumPath returns the browser's path. Without one the test skips,
// or fails when TENANTPLUGIN_INTEGRATION=1.
func chromiumPath(t *testing.T) string {
	t.Helper()
	names := chromiumNames
	if v := os.Getenv(envChromium); v != "" {
		names = []string{v}
	}
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("no Chromium found (looked for %s in PATH; %s names another)", strings.Join(names, ", "), envChromium)
	if testenv.Required() {
		t.Fatalf("%s but %s=1: install it (apt-get install chromium)", msg, testenv.EnvIntegration)
	}
	t.Skip(msg)
	return ""
}

// browser is one headless Chromium for a test and its subtests, each of
// which opens its own tabs.
type browser struct {
	ctx       context.Context // the browser's first tab; parent of every tab
	out       *testenv.Buffer // the browser's stdout and stderr
	artifacts string          // where screenshots go
}

// startBrowser starts Chromium with chromiumFlags and a fresh user data
// directory, and stops it when the test ends.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromiumPath(t)
	// The directory is removed after the browser's cleanup, which
	// registers later and so runs first.
	dataDir := t.TempDir()
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(path), chromedp.UserDataDir(dataDir)}
	for _, f := range chromiumFlags {
		opts = append(opts, chromedp.Flag(f, true))
	}
	b := &browser{out: &testenv.Buffer{}, artifacts: artifactsDir(t)}
	opts = append(opts, chromedp.CombinedOutput(b.out))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, browserStopTimeout)
		err := chromedp.Cancel(sctx)
		cancel()
		cancelBrowser()
		cancelAlloc() // waits for the process and chromedp's goroutines
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("stopping the browser: %v\n%s", err, b.out)
		}
	})
	// The first Do starts the browser and binds it to ctx, so it gets no
	// deadline of its own: a timer cancels ctx instead.
	stopTimer := context.AfterFunc(timeoutCtx(t, browserStartTimeout), cancelBrowser)
	err := chromedp.Do(ctx)
	if !stopTimer() {
		t.Fatalf("the browser did not start in %v:\n%s", browserStartTimeout, b.out)
	}
	if err != nil {
		t.Fatalf("starting %s: %v\n%s", path, err, b.out)
	}
	b.ctx = ctx
	return b
}

// timeoutCtx is a context that ends after d or with the test.
func timeoutCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// artifactsDir is $TENANTPLUGIN_ARTIFACTS, made if missing, or a test
// directory.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv(envArtifacts)
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// tab opens a tab of the viewport's size on the dashboard of host, its
// actions bound by deadline, and closes it when the test ends, saving a
// screenshot first if the test failed. It waits for the page's first
// load of its lists.
func (b *browser) tab(t *testing.T, deadline time.Time, s *testServer, host string) context.Context {
	t.Helper()
	url := dashboardURL(t, s, host)
	tctx, closeTab := chromedp.NewContext(b.ctx)
	// The tab lives as long as the context of its first action, which
	// outlasts the test's deadline by failureShotTimeout: a test that
	// timed out still gets its screenshot.
	lctx, cancelTab := context.WithDeadline(tctx, deadline.Add(failureShotTimeout))
	ctx, cancel := context.WithDeadline(lctx, deadline)
	t.Cleanup(func() {
		cancel()
		if t.Failed() && lctx.Err() == nil {
			name := "failed-" + strings.ReplaceAll(t.Name(), "/", "-") + "-" + host
			if path, _, err := b.saveScreenshot(lctx, name); err != nil {
				t.Logf("screenshot %s: %v", name, err)
			} else {
				t.Logf("screenshot %s", path)
			}
		}
		cancelTab()
		closeTab()
	})
	do(lctx, t, "opening a tab")
	do(ctx, t, "opening "+url,
		chromedp.EmulateViewport(viewportWidth, viewportHeight),
		chromedp.Navigate(url),
	)
	waitJS(ctx, t, "the first load of "+url,
		`byID("hospitals").getAttribute("aria-busy") === "false" && +byID("patients-updated").dataset.refresh >= 1`)
	return ctx
}

// dashboardURL is the page of host on the server's port.
func dashboardURL(t *testing.T, s *testServer, host string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(s.addr)
	if err != nil {
		t.Fatal(err)
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// apiPatientEmails is the emails of host's patients as the JSON API
// lists them, read for t (s.getJSON fails s's test, not a subtest).
func apiPatientEmails(ctx context.Context, t *testing.T, s *testServer, host string) []string {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.addr+"/api/patients", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ps []web.PatientView
	if err := json.NewDecoder(resp.Body).Decode(&ps); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s/api/patients: %d %v", host, resp.StatusCode, err)
	}
	emails := make([]string, len(ps))
	for i, p := range ps {
		emails[i] = p.Email
	}
	return emails
}

// do runs steps in the tab of ctx; what names them in a failure.
func do(ctx context.Context, t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// jsPrelude defines byID for the expressions of evalJS and waitJS.
const jsPrelude = `const byID = (id) => document.getElementById(id); `

// evalJS evaluates expr in the page of ctx; byID is
// document.getElementById.
func evalJS[T any](ctx context.Context, t *testing.T, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T]("(() => { "+jsPrelude+"return ("+expr+"); })()"))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// waitJS waits until expr is true in the page of ctx, or the context's
// deadline; byID is document.getElementById.
func waitJS(ctx context.Context, t *testing.T, what, expr string) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.PollFunction[chromedp.Void]("() => { "+jsPrelude+"return ("+expr+"); }",
		chromedp.WithPollingInterval(pollInterval), chromedp.WithPollingTimeout(0)))
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// listNames is the names of the items in the list of the page with id
// (hospitals or patients).
func listNames(ctx context.Context, t *testing.T, id string) []string {
	t.Helper()
	return evalJS[[]string](ctx, t, `[...document.querySelectorAll("#`+id+` li .name")].map((e) => e.textContent)`)
}

// listText is the text of the list of the page with id: names and
// emails or addresses.
func listText(ctx context.Context, t *testing.T, id string) string {
	t.Helper()
	return evalJS[string](ctx, t, `byID("`+id+`").textContent`)
}

// waitFurtherRefresh waits for a refresh of the Patients card that
// started after the call: one more than the refresh running, if any.
func waitFurtherRefresh(ctx context.Context, t *testing.T) {
	t.Helper()
	type state struct {
		Done int  `json:"done"`
		Busy bool `json:"busy"`
	}
	s := evalJS[state](ctx, t, `({done: +byID("patients-updated").dataset.refresh, busy: !byID("refreshing").hidden})`)
	want := s.Done + 1
	if s.Busy {
		want++
	}
	waitJS(ctx, t, "a further refresh", fmt.Sprintf(`+byID("patients-updated").dataset.refresh >= %d`, want))
}

// screenshot saves the tab's viewport as name.png in the artifacts
// directory and returns the PNG.
func (b *browser) screenshot(ctx context.Context, t *testing.T, name string) []byte {
	t.Helper()
	path, png, err := b.saveScreenshot(ctx, name)
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	t.Logf("screenshot %s", path)
	return png
}

func (b *browser) saveScreenshot(ctx context.Context, name string) (string, []byte, error) {
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return "", nil, err
	}
	path := filepath.Join(b.artifacts, name+".png")
	return path, png, os.WriteFile(path, png, 0o644)
}

// updateReadmeScreenshot writes png to readmeScreenshot when
// TENANTPLUGIN_UPDATE_SCREENSHOT=1.
func updateReadmeScreenshot(t *testing.T, png []byte) {
	t.Helper()
	if os.Getenv(envUpdateScreenshot) != "1" {
		return
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, filepath.FromSlash(readmeScreenshot))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", path, len(png))
}

// moduleRoot is the nearest directory up from the working directory
// with a go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
