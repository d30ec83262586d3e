package rtchat

import "github.com/prometheus/client_golang/prometheus"

// WithMetrics registers rtchat's Prometheus collectors (the rtchat_*
// metrics listed in the README) with reg and keeps them up to date. Without
// it, or with a nil reg, no collector exists and the connections' hot
// paths take no measurement at all.
//
// Several Chats may share one registry (several nodes in one process):
// the first registers the collectors and the others add to them, so the
// counts are the sum of the nodes'. New fails when reg already holds a
// different collector of one of the names.
func WithMetrics(reg prometheus.Registerer) Option {
	return func(c *config) { c.metrics = reg }
}
