// Command benchtable reads `go test -bench` output on stdin and prints a
// Markdown table of each metric's median over the runs, then the
// project's performance targets checked against those medians.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}

var cpuSuffix = regexp.MustCompile(`-\d+$`)

type key struct{ bench, unit string }

func run(in io.Reader, out io.Writer) error {
	vals := map[key][]float64{}
	var order []key
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := cpuSuffix.ReplaceAllString(strings.TrimPrefix(f[0], "Benchmark"), "")
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			k := key{name, f[i+1]}
			if _, ok := vals[k]; !ok {
				order = append(order, k)
			}
			vals[k] = append(vals[k], v)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(order) == 0 {
		return fmt.Errorf("no benchmark lines on stdin")
	}
	med := func(b, u string) (float64, bool) {
		v, ok := vals[key{b, u}]
		if !ok {
			return 0, false
		}
		return median(v), true
	}
	fmt.Fprintln(out, "| benchmark | metric | median | runs |")
	fmt.Fprintln(out, "|---|---|---:|---:|")
	for _, k := range order {
		fmt.Fprintf(out, "| %s | %s | %s | %d |\n", k.bench, k.unit, num(median(vals[k])), len(vals[k]))
	}

	fmt.Fprintln(out)
	fmt.Fprintln(out, "| target | measured | met |")
	fmt.Fprintln(out, "|---|---|---|")
	check := func(name string, measured string, ok bool) {
		mark := "yes"
		if !ok {
			mark = "**no**"
		}
		fmt.Fprintf(out, "| %s | %s | %s |\n", name, measured, mark)
	}
	if plain, ok := med("FirstByPK", "plain-p50-us"); ok {
		plug, _ := med("FirstByPK", "plugin-p50-us")
		dbr, _ := med("FirstByPK", "dbresolver-p50-us")
		d := (plug/plain - 1) * 100
		check("plugin p50 within 3% of plain GORM (PostgreSQL, First by PK)",
			fmt.Sprintf("%s µs vs %s µs (%+.1f%%)", num(plug), num(plain), d), d <= 3)
		check("plugin p50 not slower than dbresolver",
			fmt.Sprintf("%s µs vs %s µs", num(plug), num(dbr)), plug <= dbr)
	}
	if plain, ok := med("Routing/plain", "ns/op"); ok {
		plug, _ := med("Routing/plugin", "ns/op")
		pa, _ := med("Routing/plain", "allocs/op")
		ua, _ := med("Routing/plugin", "allocs/op")
		check("routing ≤ 300 ns over plain GORM (in-memory driver)",
			fmt.Sprintf("%+.0f ns (%s vs %s ns/op)", plug-plain, num(plug), num(plain)), plug-plain <= 300)
		check("routing ≤ 2 allocs over plain GORM",
			fmt.Sprintf("%+.0f allocs (%s vs %s)", ua-pa, num(ua), num(pa)), ua-pa <= 2)
	}
	if cold, ok := med("ColdTenant", "cold-p50-us"); ok {
		check("first query to a cold tenant (p50, reported)", fmt.Sprintf("%s µs", num(cold)), true)
	}
	if per, ok := med("IdleTenantMemory", "B/tenant"); ok {
		check("≤ 4 KiB per idle tenant (10,000 tenants)", fmt.Sprintf("%s B", num(per)), per <= 4096)
	}
	return nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func num(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}
