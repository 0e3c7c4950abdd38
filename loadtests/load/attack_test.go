package load

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func collect(t *testing.T, o Options) ([]Result, Summary) {
	t.Helper()
	var mu sync.Mutex
	var results []Result
	s := Run(context.Background(), o, func(time.Time) {}, func(r Result) { mu.Lock(); results = append(results, r); mu.Unlock() })
	return results, s
}

func TestArrivalsBeyondTheBoundAreCountedNotSentAndTheRestStayOnTime(t *testing.T) {
	release := make(chan struct{})
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.WriteHeader(http.StatusOK)
	}))
	defer server.Close()
	// 10 arrivals in 0.1 s; the server answers none until 0.5 s.
	time.AfterFunc(500*time.Millisecond, func() { close(release) })
	results, s := collect(t, Options{
		Schedule:    Schedule{StartRate: 100, Stages: []Stage{{Target: 100, Seconds: 0.1}}},
		Request:     Request{Method: "GET", URL: server.URL, TimeoutSeconds: 5},
		Bodies:      [][]byte{nil},
		MaxInFlight: 3,
	})
	if s.Arrivals != 10 || s.Sent != 3 || s.NotSent != 7 || s.OK != 3 {
		t.Fatalf("summary %+v, want 10 arrivals, 3 sent and answered, 7 not sent", s)
	}
	for _, r := range results {
		if late := r.StartMs - r.DueMs; late > 50 {
			t.Errorf("arrival %d started %.1f ms late: a full bound slowed the arrivals", r.Seq, late)
		}
	}
}

func TestShedStatusesAreCountedApartFromFailuresAndBodiesGoRoundRobin(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 16)
		n, _ := r.Body.Read(buf)
		body := string(buf[:n])
		mu.Lock()
		seen[body]++
		mu.Unlock()
		switch body {
		case "a":
			w.WriteHeader(http.StatusOK)
		case "b":
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer server.Close()
	_, s := collect(t, Options{
		Schedule:    Schedule{StartRate: 60, Stages: []Stage{{Target: 60, Seconds: 0.5}}},
		Request:     Request{Method: "POST", URL: server.URL, TimeoutSeconds: 5, ShedStatuses: []int{429}},
		Bodies:      [][]byte{[]byte("a"), []byte("b"), []byte("c")},
		MaxInFlight: 100,
	})
	if s.OK != 10 || s.Shed != 10 || s.Failed != 10 || s.NotSent != 0 {
		t.Fatalf("summary %+v, want 10 ok, 10 shed, 10 failed", s)
	}
	if seen["a"] != 10 || seen["b"] != 10 || seen["c"] != 10 {
		t.Fatalf("bodies seen %v, want 10 of each", seen)
	}
}

func TestAnUnreachableTargetIsOneSentence(t *testing.T) {
	server := httptest.NewServer(http.NotFoundHandler())
	url := server.URL
	server.Close()
	err := Reachable(Request{Method: "POST", URL: url}, time.Second)
	if err == nil || !strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("got %v, want one sentence saying the connection was refused", err)
	}
}

func TestParseRequestReadsBodyFilesAndRefusesBadOnes(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := ParseRequest([]byte(`{"url":"http://127.0.0.1:1/","bodyFiles":["missing.json"]}`), dir); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Fatalf("a missing body file: %v", err)
	}
	for raw, why := range map[string]string{
		`[`:                                   "not JSON",
		`{"url":"127.0.0.1:8080/v1"}`:         "no scheme",
		`{"url":"http://h/","method":"BREW"}`: "an unknown method",
		`{"url":"http://h/","timeoutSeconds":-1}`:   "a negative timeout",
		`{"url":"http://h/","shedStatuses":[1000]}`: "a status out of range",
	} {
		if _, _, err := ParseRequest([]byte(raw), dir); err == nil {
			t.Errorf("%s was accepted", why)
		}
	}
	r, bodies, err := ParseRequest([]byte(`{"url":"http://h/v1/completions","bodies":["x","y"]}`), dir)
	if err != nil || r.Method != "POST" || len(bodies) != 2 || r.Timeout() != 10*time.Second {
		t.Fatalf("defaults: %+v %d %v", r, len(bodies), err)
	}
}
