package consumer

import (
	"testing"
	"time"
)

func TestSweepInterval(t *testing.T) {
	for _, tc := range []struct {
		name      string
		retention time.Duration
		want      time.Duration
	}{
		{"default retention sweeps every 10 minutes", 24 * time.Hour, 10 * time.Minute},
		{"short retention sweeps every half of it", 10 * time.Second, 5 * time.Second},
		{"tiny retention is floored", time.Millisecond, 100 * time.Millisecond},
	} {
		if got := sweepInterval(tc.retention); got != tc.want {
			t.Errorf("%s: sweepInterval(%v) = %v, want %v", tc.name, tc.retention, got, tc.want)
		}
	}
}
