// inferscale-load: the project's load driver. It sends a schedule's arrivals (open model,
// on vegeta) with a request given as data, and writes one JSON line per result.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"inferscale.dev/loadtests/load"
)

const usage = `Usage: inferscale-load -schedule FILE -request FILE [-max-in-flight N] [-url URL]
       inferscale-load -schedule FILE -plan

Sends the arrivals of a schedule (scripts/lib/loadtest/profiles.ts writes it: {"name", "startRate",
"stages": [{"target", "seconds"}]}, rates ramping linearly) as an open model: an arrival is sent
when it is due, however slow the answers to earlier ones are. When N requests are in flight, an
arrival is not sent and is counted as such.

  -schedule FILE       the schedule as JSON ("-" for standard input)
  -request FILE        the request as JSON: {"method", "url", "headers", "body" | "bodies" |
                       "bodyFiles", "timeoutSeconds", "shedStatuses"}; body files are relative to it
  -max-in-flight N     the bound on requests in flight (default 1000)
  -url URL             send to this URL instead of the request's
  -plan                send nothing: print {"second", "arrivals"} for each second of the schedule

Writes to standard output, one JSON value a line: {"began": epoch ms}, then per arrival
{"seq", "due", "start", "latency" (ms from the start), "status", "error", "notSent"}, then
{"summary": {...}}. Exit 2 on bad input, 1 when the target cannot be reached.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func fail(stderr io.Writer, code int, format string, args ...any) int {
	fmt.Fprintf(stderr, "inferscale-load: "+format+"\n", args...)
	return code
}

func readArg(path string, stdin io.Reader) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(stdin)
	}
	b, err := os.ReadFile(path)
	if pe, ok := err.(*os.PathError); ok {
		return nil, fmt.Errorf("cannot read %s: %v", path, pe.Err)
	}
	return b, err
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("inferscale-load", flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	schedulePath := flags.String("schedule", "", "")
	requestPath := flags.String("request", "", "")
	maxInFlight := flags.Int("max-in-flight", 1000, "")
	targetURL := flags.String("url", "", "")
	plan := flags.Bool("plan", false, "")
	if err := flags.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fmt.Fprint(stdout, usage)
			return 0
		}
		return fail(stderr, 2, "%v; see -h.", err)
	}
	if *schedulePath == "" || (*requestPath == "" && !*plan) {
		return fail(stderr, 2, "both -schedule and -request are needed; see -h.")
	}
	if *maxInFlight < 1 || *maxInFlight > 1_000_000 {
		return fail(stderr, 2, "-max-in-flight must be between 1 and 1000000, got %d.", *maxInFlight)
	}
	rawSchedule, err := readArg(*schedulePath, stdin)
	if err != nil {
		return fail(stderr, 2, "%v.", err)
	}
	schedule, err := load.ParseSchedule(rawSchedule)
	if err != nil {
		return fail(stderr, 2, "%v.", err)
	}
	if *plan {
		return printPlan(stdout, load.NewPacer(schedule))
	}
	rawRequest, err := readArg(*requestPath, stdin)
	if err != nil {
		return fail(stderr, 2, "%v.", err)
	}
	if *targetURL != "" {
		var m map[string]any
		if json.Unmarshal(rawRequest, &m) == nil && m != nil {
			m["url"] = *targetURL
			rawRequest, _ = json.Marshal(m)
		}
	}
	request, bodies, err := load.ParseRequest(rawRequest, filepath.Dir(*requestPath))
	if err != nil {
		return fail(stderr, 2, "%v.", err)
	}
	if err := load.Reachable(request, 5*time.Second); err != nil {
		return fail(stderr, 1, "%v.", err)
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	out := newLineWriter(stdout)
	defer out.close()
	summary := load.Run(ctx, load.Options{Schedule: schedule, Request: request, Bodies: bodies, MaxInFlight: *maxInFlight},
		func(t0 time.Time) {
			out.line(strconv.AppendFloat([]byte(`{"began":`), float64(t0.UnixMicro())/1000, 'f', 3, 64), '}')
		},
		func(r load.Result) { out.line(appendResult(nil, r)) },
	)
	b, _ := json.Marshal(map[string]load.Summary{"summary": summary})
	out.line(b)
	return 0
}

// printPlan writes how many arrivals the pacer sends in each second of the schedule.
func printPlan(stdout io.Writer, p *load.Pacer) int {
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	second, count := 0, 0
	for k := uint64(0); ; k++ {
		due, ok := p.Due(k)
		for ok && int(due) > second || !ok && second < int(math.Ceil(p.End())) {
			fmt.Fprintf(w, "{\"second\":%d,\"arrivals\":%d}\n", second, count)
			second, count = second+1, 0
		}
		if !ok {
			return 0
		}
		count++
	}
}

func appendResult(b []byte, r load.Result) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, r.Seq, 10)
	b = append(b, `,"due":`...)
	b = strconv.AppendFloat(b, r.DueMs, 'f', 3, 64)
	b = append(b, `,"start":`...)
	b = strconv.AppendFloat(b, r.StartMs, 'f', 3, 64)
	b = append(b, `,"latency":`...)
	b = strconv.AppendFloat(b, r.LatencyMs, 'f', 3, 64)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(r.Status), 10)
	if r.Error != "" {
		b = append(b, `,"error":`...)
		b = strconv.AppendQuote(b, r.Error)
	}
	if r.NotSent {
		b = append(b, `,"notSent":true`...)
	}
	return append(b, '}')
}

// lineWriter buffers lines and flushes them every 100 ms, so a reader sees results as they
// come without a write per result.
type lineWriter struct {
	mu   sync.Mutex
	w    *bufio.Writer
	done chan struct{}
}

func newLineWriter(w io.Writer) *lineWriter {
	lw := &lineWriter{w: bufio.NewWriterSize(w, 64*1024), done: make(chan struct{})}
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				lw.mu.Lock()
				_ = lw.w.Flush()
				lw.mu.Unlock()
			case <-lw.done:
				return
			}
		}
	}()
	return lw
}

func (lw *lineWriter) line(b []byte, extra ...byte) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	_, _ = lw.w.Write(b)
	_, _ = lw.w.Write(extra)
	_ = lw.w.WriteByte('\n')
}

func (lw *lineWriter) close() {
	close(lw.done)
	lw.mu.Lock()
	defer lw.mu.Unlock()
	_ = lw.w.Flush()
}
