package rtchat

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/rtchat/rtchat/consumer"
	"github.com/rtchat/rtchat/eventmap"
)

// maxRateClose bounds WithRateLimitClose's n: a connection that is refused
// keeps the times of its last n refusals.
const maxRateClose = 100_000

// WithEventRateLimit limits each user to perSecond frames of one event type
// on this node, all the user's connections to the node together, with
// bursts of up to burst (at least 1); for example message.send at 5 a
// second in bursts of 20. It is checked with WithRateLimit's overall limit,
// before the frame is handled, and a frame over either is refused as
// WithRateLimit says without using up the other: a flood of one event
// leaves the user's other events their share. The event must be in the
// event map. A perSecond of 0 removes the event's limit set by an earlier
// option. Default none.
func WithEventRateLimit(event string, perSecond float64, burst int) Option {
	return func(c *config) {
		if c.eventRates == nil {
			c.eventRates = map[string]consumer.RateSpec{}
		}
		c.eventRates[event] = consumer.RateSpec{PerSecond: perSecond, Burst: burst}
	}
}

// WithRateLimitClose closes a connection with close code 1008 (policy
// violation), reason "too many events", when n of its frames were refused by
// the rate limits (WithRateLimit, WithEventRateLimit) within window: a
// client that keeps sending after being told to wait is ended instead of
// being answered forever. Only refusals count; frames that pass do not.
// Default 100 within 10s; n 0 never closes; n is at most 100,000.
func WithRateLimitClose(n int, window time.Duration) Option {
	return func(c *config) { c.rateClose, c.rateCloseWindow = n, window }
}

// validateRates checks the rate limit options (see validate).
func (c *config) validateRates() {
	if !validRate(c.rateEvents, c.rateBurst) {
		c.fail("WithRateLimit(%v, %d): must not be negative, and a limit needs a burst of at least 1", c.rateEvents, c.rateBurst)
	}
	for _, name := range slices.Sorted(maps.Keys(c.eventRates)) {
		if s := c.eventRates[name]; !validRate(s.PerSecond, s.Burst) {
			c.fail("WithEventRateLimit(%q, %v, %d): must not be negative, and a limit needs a burst of at least 1", name, s.PerSecond, s.Burst)
		}
	}
	if c.rateClose < 0 || c.rateClose > maxRateClose || (c.rateClose > 0 && c.rateCloseWindow <= 0) {
		c.fail("WithRateLimitClose(%d, %v): n must be between 0 and %d, and a positive n needs a positive window", c.rateClose, c.rateCloseWindow, maxRateClose)
	}
}

// validRate reports whether perSecond and burst make a limit (or none: a
// perSecond of 0).
func validRate(perSecond float64, burst int) bool {
	if math.IsNaN(perSecond) || perSecond < 0 || burst < 0 {
		return false
	}
	return perSecond == 0 || burst >= 1
}

// checkRateEvents checks that every event WithEventRateLimit names is in
// the final event map, so that a misspelt name is an error instead of a
// limit that never applies.
func (c *config) checkRateEvents(events *eventmap.Map) error {
	for _, name := range slices.Sorted(maps.Keys(c.eventRates)) {
		if _, ok := events.Lookup(name); !ok && c.eventRates[name].PerSecond > 0 {
			return fmt.Errorf("rtchat: WithEventRateLimit(%q): no such event in the event map", name)
		}
	}
	return nil
}
