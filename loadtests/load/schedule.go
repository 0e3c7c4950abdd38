// Package load is the load driver's logic: the schedule as a vegeta pacer, the request as
// data, and an attack that bounds the requests in flight without slowing arrivals.
package load

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"time"
)

// Stage ramps the arrival rate linearly from the previous stage's target (or the
// schedule's start rate) to Target over Seconds.
type Stage struct {
	Target  float64 `json:"target"`
	Seconds float64 `json:"seconds"`
}

// Schedule is what scripts/lib/loadtest/profiles.ts writes: the one definition of a load.
type Schedule struct {
	Name      string  `json:"name"`
	StartRate float64 `json:"startRate"`
	Stages    []Stage `json:"stages"`
}

// ParseSchedule reads and checks a schedule; its error is one sentence.
func ParseSchedule(raw []byte) (Schedule, error) {
	var s Schedule
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, fmt.Errorf("the schedule is not valid JSON (%v)", err)
	}
	if len(s.Stages) == 0 {
		return s, fmt.Errorf(`the schedule has no stages: it must be {"name": "...", "startRate": r, "stages": [{"target": r, "seconds": s}, ...]}`)
	}
	if !finiteNonNegative(s.StartRate) {
		return s, fmt.Errorf("the schedule's startRate must be a rate of 0 or more requests per second, got %v", s.StartRate)
	}
	for i, st := range s.Stages {
		if !finiteNonNegative(st.Target) {
			return s, fmt.Errorf("stage %d's target must be a rate of 0 or more requests per second, got %v", i+1, st.Target)
		}
		if !finiteNonNegative(st.Seconds) || st.Seconds == 0 {
			return s, fmt.Errorf("stage %d must last more than 0 seconds, got %v", i+1, st.Seconds)
		}
	}
	return s, nil
}

func finiteNonNegative(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) && v >= 0 }

// Pacer sends arrival k (from 0) when the schedule's integral reaches k + 1/2: each arrival
// in the middle of the unit of rate it stands for, so the arrivals of any second are its
// integral rounded, and they never wait for answers (open model).
type Pacer struct {
	starts []float64 // each stage's start, seconds
	counts []float64 // arrivals due before each stage starts
	from   []float64 // the rate at each stage's start
	stages []Stage
	total  float64
}

// NewPacer precomputes the cumulative arrivals at each stage boundary.
func NewPacer(s Schedule) *Pacer {
	p := &Pacer{stages: s.Stages}
	t, n, rate := 0.0, 0.0, s.StartRate
	for _, st := range s.Stages {
		p.starts = append(p.starts, t)
		p.counts = append(p.counts, n)
		p.from = append(p.from, rate)
		n += (rate + st.Target) / 2 * st.Seconds
		t += st.Seconds
		rate = st.Target
	}
	p.total = n
	return p
}

// End is when the schedule ends, seconds from its start.
func (p *Pacer) End() float64 {
	if len(p.stages) == 0 {
		return 0
	}
	return p.starts[len(p.starts)-1] + p.stages[len(p.stages)-1].Seconds
}

// Arrivals is how many arrivals the schedule holds.
func (p *Pacer) Arrivals() uint64 { return uint64(math.Floor(p.total + 0.5 + 1e-9)) }

// Due is when arrival k is due, seconds from the start; false when the schedule ends first.
func (p *Pacer) Due(k uint64) (float64, bool) {
	n := float64(k) + 0.5
	if n > p.total+1e-9 {
		return 0, false
	}
	// The last stage whose first arrival count is below n.
	i := sort.Search(len(p.counts), func(i int) bool { return p.counts[i] >= n }) - 1
	if i < 0 {
		i = 0
	}
	for ; i < len(p.stages); i++ {
		a := p.from[i]
		slope := (p.stages[i].Target - a) / p.stages[i].Seconds
		m := n - p.counts[i]
		inStage := (a + p.stages[i].Target) / 2 * p.stages[i].Seconds
		if m <= inStage+1e-9 {
			// a x + slope x^2 / 2 = m, in the form that stays exact when slope or a is 0.
			disc := a*a + 2*slope*m
			if disc < 0 {
				disc = 0
			}
			denominator := a + math.Sqrt(disc)
			if denominator == 0 {
				continue
			}
			x := 2 * m / denominator
			if x > p.stages[i].Seconds {
				x = p.stages[i].Seconds
			}
			return p.starts[i] + x, true
		}
	}
	return 0, false
}

// Pace implements vegeta.Pacer: wait until the next arrival is due, however late the
// answers to earlier ones are.
func (p *Pacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	due, ok := p.Due(hits)
	if !ok {
		return 0, true
	}
	return time.Duration(due*float64(time.Second)) - elapsed, false
}

// Rate implements vegeta.Pacer: the scheduled arrival rate at elapsed.
func (p *Pacer) Rate(elapsed time.Duration) float64 {
	t := elapsed.Seconds()
	for i, st := range p.stages {
		if t < p.starts[i]+st.Seconds {
			return p.from[i] + (st.Target-p.from[i])*(t-p.starts[i])/st.Seconds
		}
	}
	return 0
}
