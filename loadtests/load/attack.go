package load

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// errNotSent is what an arrival gets when every request the bound allows is in flight: it
// is counted, never queued, so later arrivals stay on time.
var errNotSent = errors.New("not sent: the bound on requests in flight was reached")

// boundedTransport lets at most cap(slots) requests be in flight, from the dial to the
// response body's close.
type boundedTransport struct {
	inner http.RoundTripper
	slots chan struct{}
}

func (b *boundedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	select {
	case b.slots <- struct{}{}:
	default:
		return nil, errNotSent
	}
	resp, err := b.inner.RoundTrip(req)
	if err != nil {
		<-b.slots
		return nil, err
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: func() { <-b.slots }}
	return resp, nil
}

type releasingBody struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (r *releasingBody) Close() error {
	err := r.ReadCloser.Close()
	r.once.Do(r.release)
	return err
}

// Options is one run: what to send, when, and the bound on requests in flight.
type Options struct {
	Schedule    Schedule
	Request     Request
	Bodies      [][]byte
	MaxInFlight int
}

// Result is one arrival. Times are milliseconds from the run's start.
type Result struct {
	Seq       uint64
	DueMs     float64
	StartMs   float64
	LatencyMs float64
	Status    int
	Error     string
	NotSent   bool
}

// Summary counts a run's arrivals by outcome, with the driver's own cost.
type Summary struct {
	Arrivals   uint64  `json:"arrivals"`
	Scheduled  uint64  `json:"scheduled"`
	Sent       uint64  `json:"sent"`
	NotSent    uint64  `json:"notSent"`
	OK         uint64  `json:"ok"`
	Shed       uint64  `json:"shed"`
	Failed     uint64  `json:"failed"`
	Seconds    float64 `json:"seconds"`
	CPUSeconds float64 `json:"cpuSeconds"`
	MaxRSSKiB  int64   `json:"maxRssKiB"`
}

// Run sends the schedule's arrivals and hands each result to emit as it comes; began is
// called once with the run's time zero before the first arrival. Cancelling ctx stops new
// arrivals; the ones in flight are still reported.
func Run(ctx context.Context, o Options, began func(time.Time), emit func(Result)) Summary {
	pacer := NewPacer(o.Schedule)
	// A new connection per request, as a client population does: a new pod gets its share
	// as soon as it is an endpoint (a kept-alive connection stays on the pod it found).
	inner := &http.Transport{
		DisableKeepAlives:   true,
		DialContext:         (&net.Dialer{Timeout: o.Request.Timeout(), KeepAlive: -1}).DialContext,
		MaxIdleConnsPerHost: -1,
	}
	client := &http.Client{
		Transport: &boundedTransport{inner: inner, slots: make(chan struct{}, o.MaxInFlight)},
		Timeout:   o.Request.Timeout(),
	}
	workers := uint64(o.MaxInFlight)
	attacker := vegeta.NewAttacker(
		vegeta.Client(client),
		vegeta.Workers(workers),
		// Room above the bound for the arrivals the transport turns away: they return at once.
		vegeta.MaxWorkers(2*workers+16),
		vegeta.MaxBody(-1),
	)
	stop := context.AfterFunc(ctx, func() { attacker.Stop() })
	defer stop()

	t0 := time.Now()
	began(t0)
	s := Summary{Scheduled: pacer.Arrivals()}
	for res := range attacker.Attack(o.Request.Targeter(o.Bodies), pacer, 0, "") {
		due, _ := pacer.Due(res.Seq)
		r := Result{
			Seq:       res.Seq,
			DueMs:     due * 1000,
			StartMs:   float64(res.Timestamp.Sub(t0)) / float64(time.Millisecond),
			LatencyMs: float64(res.Latency) / float64(time.Millisecond),
			Status:    int(res.Code),
			Error:     res.Error,
			NotSent:   strings.HasSuffix(res.Error, errNotSent.Error()),
		}
		s.Arrivals++
		switch {
		case r.NotSent:
			s.NotSent++
		case r.Status >= 200 && r.Status < 300:
			s.OK++
		case o.Request.IsShed(r.Status):
			s.Shed++
		default:
			s.Failed++
		}
		if !r.NotSent {
			s.Sent++
		}
		emit(r)
	}
	s.Seconds = time.Since(t0).Seconds()
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.CPUSeconds = float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
		s.MaxRSSKiB = ru.Maxrss
	}
	return s
}

// Reachable says, in one sentence, why the request's host cannot be connected to.
func Reachable(r Request, timeout time.Duration) error {
	req, err := http.NewRequest(r.Method, r.URL, nil)
	if err != nil {
		return err
	}
	host := req.URL.Host
	if req.URL.Port() == "" {
		if req.URL.Scheme == "https" {
			host = net.JoinHostPort(req.URL.Hostname(), "443")
		} else {
			host = net.JoinHostPort(req.URL.Hostname(), "80")
		}
	}
	conn, err := net.DialTimeout("tcp", host, timeout)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Err != nil {
			err = op.Err
		}
		return errors.New("cannot connect to " + r.URL + ": " + err.Error())
	}
	return conn.Close()
}
