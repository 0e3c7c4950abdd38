package load

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Request is what every arrival sends, as data: the run's configuration (the overlay's
// inferscale.dev/load-request annotation, or a user's file) decides it, not the driver.
type Request struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	// Body, or Bodies sent round robin, or BodyFiles (relative to the request file) read once.
	Body      *string  `json:"body"`
	Bodies    []string `json:"bodies"`
	BodyFiles []string `json:"bodyFiles"`
	// TimeoutSeconds bounds a request from its start to its last byte.
	TimeoutSeconds float64 `json:"timeoutSeconds"`
	// ShedStatuses are the statuses of a server shedding as designed (429 with Retry-After):
	// counted apart from failures.
	ShedStatuses []int `json:"shedStatuses"`
}

var methods = map[string]bool{http.MethodGet: true, http.MethodPost: true, http.MethodPut: true, http.MethodPatch: true, http.MethodDelete: true, http.MethodHead: true}

// ParseRequest reads and checks a request; body files are read relative to dir. Its error is
// one sentence.
func ParseRequest(raw []byte, dir string) (Request, [][]byte, error) {
	var r Request
	if err := json.Unmarshal(raw, &r); err != nil {
		return r, nil, fmt.Errorf("the request is not valid JSON (%v)", err)
	}
	if r.Method == "" {
		r.Method = http.MethodPost
	}
	r.Method = strings.ToUpper(r.Method)
	if !methods[r.Method] {
		return r, nil, fmt.Errorf("the request's method %q is not one of GET, POST, PUT, PATCH, DELETE, HEAD", r.Method)
	}
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return r, nil, fmt.Errorf("the request's url %q is not an http:// or https:// URL with a host", r.URL)
	}
	if r.TimeoutSeconds == 0 {
		r.TimeoutSeconds = 10
	}
	if math.IsNaN(r.TimeoutSeconds) || r.TimeoutSeconds < 0 || r.TimeoutSeconds > 3600 {
		return r, nil, fmt.Errorf("the request's timeoutSeconds must be above 0 and at most 3600, got %v", r.TimeoutSeconds)
	}
	for _, s := range r.ShedStatuses {
		if s < 100 || s > 599 {
			return r, nil, fmt.Errorf("the request's shedStatuses must be HTTP statuses (100 to 599), got %d", s)
		}
	}
	var bodies [][]byte
	if r.Body != nil {
		bodies = append(bodies, []byte(*r.Body))
	}
	for _, b := range r.Bodies {
		bodies = append(bodies, []byte(b))
	}
	for _, f := range r.BodyFiles {
		path := f
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, f)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return r, nil, fmt.Errorf("cannot read the body file %s: %v", path, unwrapPathError(err))
		}
		bodies = append(bodies, b)
	}
	if len(bodies) == 0 {
		bodies = [][]byte{nil}
	}
	return r, bodies, nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// Timeout is the request's timeout as a duration.
func (r Request) Timeout() time.Duration {
	return time.Duration(r.TimeoutSeconds * float64(time.Second))
}

// Targeter sends the bodies round robin, every other part of the request the same.
func (r Request) Targeter(bodies [][]byte) vegeta.Targeter {
	header := http.Header{}
	for k, v := range r.Headers {
		header.Set(k, v)
	}
	targets := make([]vegeta.Target, len(bodies))
	for i, b := range bodies {
		targets[i] = vegeta.Target{Method: r.Method, URL: r.URL, Body: b, Header: header}
	}
	return vegeta.NewStaticTargeter(targets...)
}

// IsShed says whether a status is the server shedding as designed.
func (r Request) IsShed(status int) bool {
	for _, s := range r.ShedStatuses {
		if s == status {
			return true
		}
	}
	return false
}
