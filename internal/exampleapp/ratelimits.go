package exampleapp

import (
	"maps"
	"slices"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/protocol"
)

// RateLimits are the chat's rate limits per user (rtchat.WithRateLimit
// and rtchat.WithEventRateLimit); Config.RateLimits sets them.
type RateLimits struct {
	// PerSecond and Burst limit all of a user's frames (0: no limit).
	PerSecond float64
	Burst     int
	// Events limit single event types besides.
	Events map[string]Rate
}

// Rate is one limit: PerSecond frames a second in bursts of up to Burst.
type Rate struct {
	PerSecond float64
	Burst     int
}

// DefaultRateLimits are the examples' limits: generous for a person typing
// in the page, tight for a script. 20 frames a second overall in bursts of
// 40; message.send 5 a second in bursts of 20; message.typing 2 a second
// in bursts of 5; room.create one every 5 seconds in bursts of 5. A
// client that keeps going after its 4029 answers is closed with 1008
// (rtchat's default, 100 refusals within 10 s).
func DefaultRateLimits() RateLimits {
	return RateLimits{
		PerSecond: 20, Burst: 40,
		Events: map[string]Rate{
			protocol.EventMessageSend:   {PerSecond: 5, Burst: 20},
			protocol.EventMessageTyping: {PerSecond: 2, Burst: 5},
			protocol.EventRoomCreate:    {PerSecond: 0.2, Burst: 5},
		},
	}
}

// rateOptions returns the chat options of the configured limits.
func (c Config) rateOptions() []rtchat.Option {
	rl := DefaultRateLimits()
	if c.RateLimits != nil {
		rl = *c.RateLimits
	}
	opts := []rtchat.Option{rtchat.WithRateLimit(rl.PerSecond, rl.Burst)}
	for _, name := range slices.Sorted(maps.Keys(rl.Events)) {
		r := rl.Events[name]
		opts = append(opts, rtchat.WithEventRateLimit(name, r.PerSecond, r.Burst))
	}
	return opts
}
