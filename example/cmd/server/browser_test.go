package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browserTestTimeout bounds each browser subtest. They take a few
// seconds; the bound is for a loaded machine, where a step can take
// seconds.
const browserTestTimeout = 45 * time.Second

// The tenants of the embedded default, as the browser names them.
const (
	tenant1 = "tenant-1.localhost"
	tenant2 = "tenant-2.localhost"
)

// TestDashboardInBrowser drives the dashboard in headless Chromium, one
// browser and one server for its subtests: each tenant's page shows its
// name and its own hospitals; a patient added through tenant-2's form
// shows in tenant-2's list by the page's own refresh and never on
// tenant-1; an email the server refuses shows its error and adds
// nothing.
func TestDashboardInBrowser(t *testing.T) {
	b := startBrowser(t)
	s := startServer(t, t.TempDir())

	t.Run("tenants", func(t *testing.T) {
		deadline := time.Now().Add(browserTestTimeout)
		for _, id := range []string{tenant1, tenant2} {
			ctx := b.tab(t, deadline, s, id)
			if got := evalJS[string](ctx, t, `byID("tenant").textContent`); got != id {
				t.Errorf("%s: the page names the tenant %q", id, got)
			}
			if got := evalJS[string](ctx, t, `document.title`); !strings.HasPrefix(got, id+" ") {
				t.Errorf("%s: title %q", id, got)
			}
			want := []string{"Main hospital", "Hospital of " + id}
			if got := listNames(ctx, t, "hospitals"); !slices.Equal(got, want) {
				t.Errorf("%s: Hospitals card lists %q, want %q", id, got, want)
			}
			b.screenshot(ctx, t, id)
		}
	})

	// The two below add nothing to the other's tenant, and run at once:
	// most of their time is waiting for the pages' refreshes.
	t.Run("add patient", func(t *testing.T) {
		t.Parallel()
		const (
			name  = "Grace Hopper"
			email = "grace@example.com"
		)
		deadline := time.Now().Add(browserTestTimeout)
		ctx1 := b.tab(t, deadline, s, tenant1)
		ctx2 := b.tab(t, deadline, s, tenant2)

		// Record each change of tenant-2's list with whether the refresh
		// indicator showed, in a page that must not reload.
		evalJS[bool](ctx2, t, `(() => {
			window.e2eChanges = [];
			new MutationObserver(() => window.e2eChanges.push({
				text: byID("patients").textContent,
				indicator: byID("refreshing").checkVisibility(),
			})).observe(byID("patients"), {childList: true});
			return true;
		})()`)
		do(ctx2, t, "filling the form",
			chromedp.Click(chromedp.ID("add")),
			chromedp.WaitVisible(chromedp.ID("patient-form")),
			chromedp.SendKeys(chromedp.ID("patient-name"), name),
			chromedp.SendKeys(chromedp.ID("patient-email"), email),
			chromedp.Click(chromedp.ID("patient-save")),
		)
		waitJS(ctx2, t, "the patient in tenant-2's list",
			`[...document.querySelectorAll("#patients li small")].some((e) => e.textContent === "`+email+`")`)
		type change struct {
			Text      string `json:"text"`
			Indicator bool   `json:"indicator"`
		}
		changes := evalJS[[]change](ctx2, t, `window.e2eChanges || null`)
		if changes == nil {
			t.Fatal("tenant-2's page reloaded; the list must change in place")
		}
		i := slices.IndexFunc(changes, func(c change) bool { return strings.Contains(c.Text, email) })
		if i < 0 || !changes[i].Indicator {
			t.Fatalf("the patient came with no refresh indicator showing: %+v", changes)
		}
		if got := listNames(ctx2, t, "patients"); !slices.Equal(got, []string{name}) {
			t.Fatalf("tenant-2's Patients card lists %q", got)
		}
		waitJS(ctx2, t, "the form telling the patient is added", `byID("form-message").textContent === "Added `+name+`."`)
		waitJS(ctx2, t, "the refresh indicator hidden", `!byID("refreshing").checkVisibility()`)
		updateReadmeScreenshot(t, b.screenshot(ctx2, t, "tenant-2-patient-added"))

		// tenant-1's page, open all along: not there now, nor after a
		// refresh that started later.
		noPatients := func(when string) {
			t.Helper()
			if got := listText(ctx1, t, "patients"); got != "No patients yet." {
				t.Fatalf("tenant-1's Patients card %s: %q", when, got)
			}
		}
		noPatients("once tenant-2 shows the patient")
		waitFurtherRefresh(ctx1, t)
		noPatients("after a further refresh")
		b.screenshot(ctx1, t, "tenant-1-after-tenant-2-added")

		// The same email again on tenant-2: 409, shown, nothing added.
		do(ctx2, t, "submitting the email again",
			chromedp.SendKeys(chromedp.ID("patient-name"), "Grace again"),
			chromedp.SendKeys(chromedp.ID("patient-email"), email),
			chromedp.Click(chromedp.ID("patient-save")),
		)
		waitJS(ctx2, t, "the 409 error on the page",
			`byID("form-message").textContent === "Not added: a patient with this email exists"`)
		b.screenshot(ctx2, t, "tenant-2-duplicate-email")
		if got := apiPatientEmails(ctx2, t, s, host2); !slices.Equal(got, []string{email}) {
			t.Fatalf("tenant-2 patients %q", got)
		}
		if got := apiPatientEmails(ctx2, t, s, host1); len(got) != 0 {
			t.Fatalf("tenant-1 patients %q", got)
		}
	})

	t.Run("invalid email", func(t *testing.T) {
		t.Parallel()
		// The browser's own check of type=email takes two dots in a
		// row; the server does not (400).
		const (
			name  = "Alan Turing"
			email = "alan..turing@example.com"
		)
		deadline := time.Now().Add(browserTestTimeout)
		ctx := b.tab(t, deadline, s, tenant1)
		before := listText(ctx, t, "patients")
		do(ctx, t, "filling the form",
			chromedp.Click(chromedp.ID("add")),
			chromedp.WaitVisible(chromedp.ID("patient-form")),
			chromedp.SendKeys(chromedp.ID("patient-name"), name),
			chromedp.SendKeys(chromedp.ID("patient-email"), email),
			chromedp.Click(chromedp.ID("patient-save")),
		)
		waitJS(ctx, t, "the 400 error on the page",
			`byID("form-message").textContent === "Not added: email is not a valid address"`)
		if got := evalJS[string](ctx, t, `byID("form-message").className + " " + byID("form-message").checkVisibility()`); got != "message error true" {
			t.Errorf("the error shows as %q", got)
		}
		// The form keeps what was typed, to be corrected.
		if got := evalJS[string](ctx, t, `byID("patient-name").value + "|" + byID("patient-email").value`); got != name+"|"+email {
			t.Errorf("the form holds %q", got)
		}
		b.screenshot(ctx, t, "tenant-1-invalid-email")
		waitFurtherRefresh(ctx, t)
		if got := listText(ctx, t, "patients"); got != before || strings.Contains(got, email) {
			t.Fatalf("Patients card %q after the refused email, was %q", got, before)
		}
		for _, host := range []string{host1, host2} {
			if got := apiPatientEmails(ctx, t, s, host); slices.Contains(got, email) {
				t.Fatalf("%s has the refused email: %q", host, got)
			}
		}
	})
}
