package consumer

import (
	"fmt"
	"time"

	"github.com/rtchat/rtchat/protocol"
)

// tokenBucket limits one connection's frames: burst frames at once, refilled
// at rate per second. Only the connection's read goroutine uses it.
type tokenBucket struct {
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

// allow takes a token if there is one; otherwise it says how long until the
// next one.
func (b *tokenBucket) allow(now time.Time) (bool, time.Duration) {
	if b.last.IsZero() {
		b.tokens = b.burst
	} else {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}

// limited reports whether a frame of c goes over the rate limit (WithRateLimit),
// answering it with 4029 if so. The frame is then dropped unread: the
// connection and everything stored stay as they were.
func (cs *Consumer) limited(c *Conn) bool {
	if cs.cfg.RateLimit <= 0 {
		return false
	}
	if c.bucket == nil {
		c.bucket = &tokenBucket{rate: cs.cfg.RateLimit, burst: float64(max(cs.cfg.RateBurst, 1))}
	}
	ok, wait := c.bucket.allow(time.Now())
	if ok {
		return false
	}
	ms := max(wait.Milliseconds(), 1)
	cs.writeError(c, protocol.NewError(protocol.CodeRateLimited, fmt.Sprintf("Too many events: retry in %d ms.", ms)), "", "")
	return true
}
