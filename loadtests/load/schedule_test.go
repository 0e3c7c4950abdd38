package load

import (
	"math"
	"testing"
	"time"
)

func arrivalsIn(p *Pacer, from, to float64) int {
	n := 0
	for k := uint64(0); ; k++ {
		due, ok := p.Due(k)
		if !ok || due >= to {
			return n
		}
		if due >= from {
			n++
		}
	}
}

func TestAConstantRateSendsArrivalKWhenTheIntegralReachesKPlusAHalf(t *testing.T) {
	p := NewPacer(Schedule{StartRate: 10, Stages: []Stage{{Target: 10, Seconds: 2}}})
	if p.Arrivals() != 20 {
		t.Fatalf("arrivals: got %d, want 20", p.Arrivals())
	}
	for k := uint64(0); k < 20; k++ {
		due, ok := p.Due(k)
		if want := (float64(k) + 0.5) / 10; !ok || math.Abs(due-want) > 1e-9 {
			t.Fatalf("arrival %d due at %v, want %v", k, due, want)
		}
	}
	if _, ok := p.Due(20); ok {
		t.Fatal("an arrival past the schedule's end was due")
	}
}

func TestARampsArrivalsPerSecondAreTheRatesIntegralOverThatSecond(t *testing.T) {
	// 0 -> 300 req/s over 60 s, held 10 s, down to 10 over 20 s, then idle: as the bench's ramp.
	s := Schedule{StartRate: 0, Stages: []Stage{{Target: 300, Seconds: 60}, {Target: 300, Seconds: 10}, {Target: 10, Seconds: 20}, {Target: 0, Seconds: 5}}}
	p := NewPacer(s)
	cum := 0.0
	prev := 0.0
	for sec := 0; sec < 95; sec++ {
		t1 := float64(sec + 1)
		integral := 0.0
		// Numerically integrate the pacer's rate over the second.
		for i := 0; i < 1000; i++ {
			integral += p.Rate(time.Duration((float64(sec)+(float64(i)+0.5)/1000)*float64(time.Second))) / 1000
		}
		cum += integral
		got := arrivalsIn(p, float64(sec), t1)
		// Arrival k is due when the integral reaches k + 1/2: a second [s, s+1) holds the k with
		// integral(s) <= k + 1/2 < integral(s+1), its integral rounded.
		want := math.Ceil(cum-0.5-1e-6) - math.Ceil(prev-0.5-1e-6)
		if math.Abs(float64(got)-integral) > 1 {
			t.Fatalf("second %d: %d arrivals for an integral of %.3f", sec, got, integral)
		}
		if float64(got) != want {
			t.Fatalf("second %d: %d arrivals, want %v (integral %.3f)", sec, got, want, integral)
		}
		prev = cum
	}
}

func TestPaceStopsAfterTheLastArrivalEvenWhenAnIdleTailFollows(t *testing.T) {
	p := NewPacer(Schedule{StartRate: 0, Stages: []Stage{{Target: 0, Seconds: 5}, {Target: 4, Seconds: 1}, {Target: 0, Seconds: 1}, {Target: 0, Seconds: 10}}})
	if p.Arrivals() != 4 {
		t.Fatalf("arrivals: got %d, want 4", p.Arrivals())
	}
	first, _ := p.Due(0)
	if first <= 5 {
		t.Fatalf("the first arrival came during the idle stage, at %v s", first)
	}
	if _, stop := p.Pace(0, 4); !stop {
		t.Fatal("the pacer did not stop after its last arrival")
	}
	wait, stop := p.Pace(time.Second, 0)
	if stop || wait <= 4*time.Second {
		t.Fatalf("the first arrival waits %v (stop %v), want more than 4 s", wait, stop)
	}
}

func TestParseScheduleRejectsWhatIsNotASchedule(t *testing.T) {
	for raw, why := range map[string]string{
		`{`:                                      "not JSON",
		`{"name":"x","startRate":1,"stages":[]}`: "no stages",
		`{"name":"x","startRate":-1,"stages":[{"target":1,"seconds":1}]}`:  "negative start",
		`{"name":"x","startRate":1,"stages":[{"target":-5,"seconds":1}]}`:  "negative target",
		`{"name":"x","startRate":1,"stages":[{"target":5,"seconds":0}]}`:   "zero seconds",
		`{"name":"x","startRate":"1","stages":[{"target":5,"seconds":1}]}`: "a string rate",
	} {
		if _, err := ParseSchedule([]byte(raw)); err == nil {
			t.Errorf("%s was accepted", why)
		}
	}
	if _, err := ParseSchedule([]byte(`{"name":"step","startRate":10,"stages":[{"target":90,"seconds":1}]}`)); err != nil {
		t.Fatalf("a schedule was refused: %v", err)
	}
}
