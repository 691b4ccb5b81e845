package main

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"
)

//go:embed load.lua
var loadLua string

// loadWrk sends the benchmark's traffic with wrk (2 threads, as the
// reference figures in the design notes were taken), which costs far less
// CPU per request than a Go client and so leaves more of the machine to
// the server. wrk counts 2xx answers without reading them (a Lua callback
// per response would double its cost), so accepted counts every 2xx: the
// collector answers 202 to the events it keeps and, with a header, to the
// ones it drops (bots, unknown sites), which this traffic never sends; a
// dropped one would show as a store count below the server's accepted
// count.
func loadWrk(addr string, conns int, d time.Duration, fresh *freshness) result {
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		log.Fatal("wrk not found: install the Debian package wrk, or use --load go")
	}
	script, err := writeScript()
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(filepath.Dir(script))

	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if fresh != nil {
		go fresh.run(ctx, func() float64 { return metric(addr, "sillage_events_accepted_total") })
	}
	var out bytes.Buffer
	cmd := exec.Command(wrk, "-t", "2", "-c", strconv.Itoa(conns), "-d", fmt.Sprintf("%ds", int(d.Seconds())),
		"--timeout", "10s", "-s", script, "http://"+addr+"/api/event")
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		log.Fatalf("wrk: %v\n%s", err, out.String())
	}
	m := regexp.MustCompile(`RESULT answered=(\d+) non2xx=(\d+) errors=(\d+) duration_us=(\d+) p50_us=(\d+) p99_us=(\d+) max_us=(\d+)`).
		FindStringSubmatch(out.String())
	if m == nil {
		log.Fatalf("wrk printed no result:\n%s", out.String())
	}
	n := func(i int) uint64 { v, _ := strconv.ParseUint(m[i], 10, 64); return v }
	us := func(i int) time.Duration { return time.Duration(n(i)) * time.Microsecond }
	r := result{accepted: n(1), other: n(2), errors: n(3), elapsed: us(4), p50: us(5), p99: us(6), max: us(7)}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.generatorCPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return r
}

// writeScript renders load.lua with the Go generator's tables, so both
// generators send the same mix.
func writeScript() (string, error) {
	var uas []string
	for _, u := range uaMix {
		for range u.weight {
			uas = append(uas, u.ua)
		}
	}
	var camps []string
	for _, c := range campaigns {
		camps = append(camps, "?utm_source="+c[0]+"&utm_medium="+c[1]+"&utm_campaign="+c[2])
	}
	t, err := template.New("load.lua").Parse(loadLua)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := t.Execute(&b, map[string][]string{"UAs": uas, "Referrers": referrers, "Campaigns": camps}); err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "sillage-wrk-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "load.lua")
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}
