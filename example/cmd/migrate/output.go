package main

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tenantrouter/tenantplugin/migrate"
)

// output shows the run: progress on stderr (a bar on a terminal, one
// line per database otherwise: never an escape code into a pipe or a
// log), then the summary on stdout. Every error shown is scrubbed of
// secrets. progress is called one call at a time (migrate.WithProgress
// promises it), so output needs no lock.
type output struct {
	stdout, stderr io.Writer
	tty            bool
	sc             *scrubber
	now            func() time.Time

	verb          string // "migrating", "checking"
	total, done   int
	failed, width int
	start         time.Time
}

func newOutput(stdout, stderr io.Writer, tty bool, sc *scrubber) *output {
	return &output{stdout: stdout, stderr: stderr, tty: tty, sc: sc, now: time.Now}
}

// barWidth is the progress bar's width in characters.
const barWidth = 30

// maxNameWidth caps the width of the database column of progress
// lines; longer names push the rest of their line along.
const maxNameWidth = 40

// begin starts the progress of the databases named.
func (o *output) begin(names []string, check bool) {
	o.verb = "migrating"
	if check {
		o.verb = "checking"
	}
	o.total, o.start = len(names), o.now()
	for _, n := range names {
		o.width = min(max(o.width, len(n)), maxNameWidth)
	}
	o.draw()
}

// progress shows a database finished.
func (o *output) progress(r migrate.Result) {
	o.done++
	if r.Status == migrate.StatusFailed {
		o.failed++
	}
	if !o.tty {
		fmt.Fprintln(o.stderr, o.line(r))
		return
	}
	if r.Status == migrate.StatusFailed {
		fmt.Fprintf(o.stderr, "\r\x1b[2K%s\n", o.line(r)) // above the bar
	}
	o.draw()
}

// end clears the bar.
func (o *output) end() {
	if o.tty {
		fmt.Fprint(o.stderr, "\r\x1b[2K")
	}
}

// draw redraws the bar, on a terminal.
func (o *output) draw() {
	if !o.tty {
		return
	}
	n := barWidth
	if o.total > 0 {
		n = o.done * barWidth / o.total
	}
	fmt.Fprintf(o.stderr, "\r\x1b[2K%s [%s%s] %d/%d", o.verb, strings.Repeat("#", n), strings.Repeat("-", barWidth-n), o.done, o.total)
	if o.failed > 0 {
		fmt.Fprintf(o.stderr, "  %d failed", o.failed)
	}
	fmt.Fprintf(o.stderr, "  %s", o.now().Sub(o.start).Round(time.Second))
}

// line is a database's progress line:
// "tenant-1.localhost  migrated    120ms".
func (o *output) line(r migrate.Result) string {
	s := fmt.Sprintf("%-*s  %-10s  %s", o.width, dbName(r), r.Status, duration(r.Duration))
	if r.Detail != "" {
		s += "  " + r.Detail
	}
	if r.Err != nil {
		s += "  " + o.errText(r.Err)
	}
	return s
}

// summary prints the table of every database, then the counts, and the
// databases failed or behind.
func (o *output) summary(results []migrate.Result) {
	detail := slices.ContainsFunc(results, func(r migrate.Result) bool { return r.Detail != "" })
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	head := "DATABASE\tSTATUS\tDURATION\t"
	if detail {
		head += "DETAIL\t"
	}
	fmt.Fprintln(tw, head+"ERROR")
	counts := map[migrate.Status]int{}
	lists := map[migrate.Status][]string{}
	for _, r := range results {
		counts[r.Status]++
		lists[r.Status] = append(lists[r.Status], dbName(r))
		row := dbName(r) + "\t" + r.Status.String() + "\t" + duration(r.Duration) + "\t"
		if detail {
			row += r.Detail + "\t"
		}
		if r.Err != nil {
			row += o.errText(r.Err)
		}
		fmt.Fprintln(tw, row)
	}
	_ = tw.Flush()
	for _, l := range strings.Split(strings.TrimSuffix(table.String(), "\n"), "\n") {
		fmt.Fprintln(o.stdout, strings.TrimRight(l, " ")) // the padding of empty last cells
	}
	var parts []string
	for _, st := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
	}
	fmt.Fprintf(o.stdout, "\n%d databases: %s\n", len(results), strings.Join(parts, ", "))
	for _, st := range []migrate.Status{migrate.StatusFailed, migrate.StatusBehind} {
		if len(lists[st]) > 0 {
			fmt.Fprintf(o.stdout, "%s: %s\n", st, strings.Join(lists[st], " "))
		}
	}
}

// plan prints what a run would do, and on which databases.
func (o *output) plan(p migrate.Plan, where string, tenants []string, refused []migrate.Result) {
	fmt.Fprintln(o.stdout, "Plan (dry run: nothing changed)")
	aliases := slices.Sorted(maps.Keys(p.Reserved))
	for _, alias := range aliases {
		fmt.Fprintf(o.stdout, "  reserved:%s: %s\n", alias, strings.Join(p.Reserved[alias], ", "))
	}
	fmt.Fprintf(o.stdout, "  each tenant: %s\n", strings.Join(p.Tenant, ", "))
	fmt.Fprintf(o.stdout, "\nTargets: reserved databases %d, tenants %d (of %s)\n", len(aliases), len(tenants)+len(refused), where)
	for _, alias := range aliases {
		fmt.Fprintf(o.stdout, "  reserved:%s\n", alias)
	}
	for _, id := range tenants {
		fmt.Fprintf(o.stdout, "  %s\n", id)
	}
	for _, r := range refused {
		fmt.Fprintf(o.stdout, "  %s  refused: %s\n", r.Tenant, o.errText(r.Err))
	}
}

// errText is err's message on one line, without secrets.
func (o *output) errText(err error) string {
	return strings.Join(strings.Fields(o.sc.scrub(err.Error())), " ")
}

// dbName names a result's database: the tenant id, or "reserved:ALIAS".
func dbName(r migrate.Result) string {
	if r.Reserved != "" {
		return "reserved:" + r.Reserved
	}
	return r.Tenant
}

// duration shows d to the millisecond: "120ms", "5.01s"; "-" for a
// database not started.
func duration(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Millisecond:
		return "<1ms"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return d.Round(10 * time.Millisecond).String()
}
