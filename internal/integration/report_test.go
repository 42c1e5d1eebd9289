package integration

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// ReportEnv names the file the figures are written to.
const ReportEnv = "ASPIREGO_RELIABILITY_REPORT"

// The markers between which writeReport replaces an existing file's text.
const (
	beginMarker = "<!-- figures:begin -->"
	endMarker   = "<!-- figures:end -->"
)

// figure is what one fault did to a client under load.
type figure struct {
	Topology string // standalone, cluster, sentinel
	Fault    string
	Server   string // e.g. "redis-server 7.0.15"

	Attempted, Succeeded, Failed int
	// Acked writes were acknowledged; Found of them were read back after
	// recovery. FailedApplied writes returned an error to their caller but
	// were applied anyway (the reply was lost, not the command).
	Acked, Found, FailedApplied int
	WrongReads                  int

	Outage         time.Duration // fault injected → fault cleared
	Unhealthy      time.Duration // fault injected → /health 503
	ErrorWindow    time.Duration // first failed command → end of the last
	ClientRecovery time.Duration // fault cleared → end of the last failed command
	HealthRecovery time.Duration // fault cleared → /health 200
	MaxLatency     time.Duration // slowest command, failed or not
	ErrorKinds     string
	Note           string
}

var figures struct {
	sync.Mutex
	list    []figure
	timings []timing
}

// timing is how long one command to an unreachable server took to fail.
type timing struct {
	Scenario, Conn string
	Took           time.Duration
	Err            string
}

// recordTiming logs tm and keeps it for the report.
func recordTiming(t *testing.T, tm timing) {
	t.Helper()
	t.Logf("%s, %s: the command failed (%s) after %s", tm.Scenario, tm.Conn, tm.Err, ms(tm.Took))
	figures.Lock()
	defer figures.Unlock()
	figures.timings = append(figures.timings, tm)
}

// record logs f and keeps it for the report.
func record(t *testing.T, f figure) {
	t.Helper()
	t.Logf("%s / %s (%s): attempted %d, succeeded %d, failed %d; writes acknowledged %d, found %d, failed but applied %d; wrong reads %d; "+
		"fault lasted %s, unhealthy after %s, errors for %s, client recovered %s after the fault cleared, healthy again after %s; max latency %s; errors: %s; %s",
		f.Topology, f.Fault, f.Server, f.Attempted, f.Succeeded, f.Failed, f.Acked, f.Found, f.FailedApplied, f.WrongReads,
		ms(f.Outage), ms(f.Unhealthy), ms(f.ErrorWindow), ms(f.ClientRecovery), ms(f.HealthRecovery), ms(f.MaxLatency), f.ErrorKinds, f.Note)
	figures.Lock()
	defer figures.Unlock()
	figures.list = append(figures.list, f)
}

// fromResult fills the load figures of f from r.
func fromResult(f figure, r result) figure {
	f.Attempted = r.attempted()
	f.Failed = r.failed()
	f.Succeeded = f.Attempted - f.Failed
	f.WrongReads = r.count(func(o op) bool { return o.wrong })
	f.MaxLatency = r.maxLatency()
	f.ErrorKinds = strings.Join(r.errorKinds(), ", ")
	if f.ErrorKinds == "" {
		f.ErrorKinds = "none"
	}
	if first, last, ok := r.errorSpan(); ok {
		f.ErrorWindow = last.Sub(first)
	}
	return f
}

// clientRecovery is how long after cleared the last failed command of r
// ended (0 when none failed after cleared).
func clientRecovery(r result, cleared time.Time) time.Duration {
	_, last, ok := r.errorSpan()
	if !ok || last.Before(cleared) {
		return 0
	}
	return last.Sub(cleared)
}

var versionRE = regexp.MustCompile(`v=([0-9][0-9.]*)`)

// serverVersion returns "redis-server 7.0.15" for binary.
func serverVersion(binary string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, binary, "--version").Output()
	if m := versionRE.FindSubmatch(out); m != nil {
		return binary + " " + string(m[1])
	}
	return binary
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// markdown renders the figures.
func markdown(list []figure, timings []timing) string {
	var b strings.Builder
	race := "off"
	if raceEnabled {
		race = "on"
	}
	fmt.Fprintf(&b, "Measured %s on %d CPUs (%s), %s %s/%s, race detector %s, by `go test ./internal/integration/`.\n\n",
		time.Now().UTC().Format("2006-01-02"), runtime.NumCPU(), cpuModel(), runtime.Version(), runtime.GOOS, runtime.GOARCH, race)
	b.WriteString("| topology | fault | server | commands attempted | succeeded | failed | writes acknowledged | found afterwards | failed but applied | wrong reads | fault lasted | unhealthy after | errors during | client recovered after fault cleared | healthy after fault cleared | slowest command | errors seen |\n")
	b.WriteString("|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n")
	for _, f := range list {
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %d | %d | %d | %d | %d | %d | %s | %s | %s | %s | %s | %s | %s |\n",
			f.Topology, f.Fault, f.Server, f.Attempted, f.Succeeded, f.Failed, f.Acked, f.Found, f.FailedApplied, f.WrongReads,
			ms(f.Outage), ms(f.Unhealthy), ms(f.ErrorWindow), ms(f.ClientRecovery), ms(f.HealthRecovery), ms(f.MaxLatency), f.ErrorKinds)
	}
	var notes []string
	for _, f := range list {
		if f.Note != "" {
			notes = append(notes, fmt.Sprintf("- %s / %s (%s): %s", f.Topology, f.Fault, f.Server, f.Note))
		}
	}
	if len(notes) > 0 {
		b.WriteString("\n" + strings.Join(notes, "\n") + "\n")
	}
	if len(timings) > 0 {
		b.WriteString("\nOne SET to a server that cannot be reached (default MaxRetries, 3):\n\n")
		b.WriteString("| server | connection string | failed after | error |\n|---|---|--:|---|\n")
		for _, tm := range timings {
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s |\n", tm.Scenario, tm.Conn, ms(tm.Took), tm.Err)
		}
	}
	return b.String()
}

// writeReport writes the figures to $ASPIREGO_RELIABILITY_REPORT, when set.
func writeReport() error {
	path := os.Getenv(ReportEnv)
	if path == "" {
		return nil
	}
	figures.Lock()
	list := slices.Clone(figures.list)
	timings := slices.Clone(figures.timings)
	figures.Unlock()
	order := func(f figure) string {
		return map[string]string{"standalone": "1", "cluster": "2", "sentinel": "3"}[f.Topology] + f.Server
	}
	slices.SortStableFunc(list, func(a, b figure) int { return strings.Compare(order(a), order(b)) })
	text := markdown(list, timings)
	old, err := os.ReadFile(path)
	if err == nil {
		s := string(old)
		i, j := strings.Index(s, beginMarker), strings.Index(s, endMarker)
		if i >= 0 && j > i {
			text = s[:i+len(beginMarker)] + "\n" + text + s[j:]
		}
	}
	return os.WriteFile(path, []byte(text), 0o644)
}
