package rtchat_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/serializer"
)

// TestNewConfigErrorsNameTheOption: every bad option is an error from New
// whose text names the option, so an app with twenty options sees which
// one to fix. (WithModel, WithHooks, WithEvent and the auth options have
// their cases beside their own tests.)
func TestNewConfigErrorsNameTheOption(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	noop := serializer.Func(func(context.Context, any, serializer.Users) (any, error) { return nil, nil })
	for name, tc := range map[string]struct {
		opt  rtchat.Option
		want string
	}{
		"inactivity below 1s":        {rtchat.WithInactivityThreshold(500 * time.Millisecond), "rtchat: WithInactivityThreshold: 500ms is below 1s"},
		"relative path":              {rtchat.WithPath("messaging"), `rtchat: WithPath("messaging"): must start with /`},
		"tiny frame limit":           {rtchat.WithMaxMessageSize(10), "rtchat: WithMaxMessageSize: 10 is below 1024 bytes"},
		"zero content length":        {rtchat.WithMaxContentLength(0), "rtchat: WithMaxContentLength: 0 must be positive"},
		"zero send buffer":           {rtchat.WithSendBuffer(0), "rtchat: WithSendBuffer: 0 must be positive"},
		"zero write timeout":         {rtchat.WithWriteTimeout(0), "rtchat: WithWriteTimeout: 0s must be positive"},
		"negative event timeout":     {rtchat.WithEventTimeout(-time.Second), "rtchat: WithEventTimeout: -1s must be positive"},
		"negative typing throttle":   {rtchat.WithTypingThrottle(-time.Second), "rtchat: WithTypingThrottle: -1s must not be negative"},
		"zero session retention":     {rtchat.WithSessionRetention(0), "rtchat: WithSessionRetention: 0s must be positive"},
		"negative rate":              {rtchat.WithRateLimit(-1, 1), "rtchat: WithRateLimit(-1, 1): must not be negative, and a limit needs a burst of at least 1"},
		"rate without a burst":       {rtchat.WithRateLimit(5, 0), "rtchat: WithRateLimit(5, 0): must not be negative, and a limit needs a burst of at least 1"},
		"reorder window too long":    {rtchat.WithReorderWindow(time.Minute), "rtchat: WithReorderWindow: 1m0s must be positive and at most 10s"},
		"connections per user < 0":   {rtchat.WithMaxConnectionsPerUser(-1), "rtchat: WithMaxConnectionsPerUser: -1 must not be negative"},
		"presence interval < 0":      {rtchat.WithPresenceInterval(-time.Millisecond), "rtchat: WithPresenceInterval: -1ms must not be negative"},
		"presence push limit < 0":    {rtchat.WithPresencePushLimit(-1), "rtchat: WithPresencePushLimit: -1 must not be negative"},
		"nil permission handler":     {rtchat.WithPermissionHandler(nil), "rtchat: WithPermissionHandler: nil"},
		"node id too long":           {rtchat.WithNodeID(strings.Repeat("n", 65)), `rtchat: WithNodeID("` + strings.Repeat("n", 65) + `"): longer than 64 characters`},
		"nil presence manager":       {rtchat.WithPresence(nil), "rtchat: WithPresence: nil"},
		"unknown serializer":         {rtchat.WithSerializer("Foo", noop), `rtchat: WithSerializer("Foo"): unknown serializer`},
		"nil serializer":             {rtchat.WithSerializer("Message", nil), `rtchat: WithSerializer("Message"): nil`},
		"origin without a scheme":    {rtchat.WithAllowedOrigins("example.com"), `rtchat: WithAllowedOrigins("example.com"): must be scheme://host[:port] or *`},
		"nil event map":              {rtchat.WithEventMap(nil), "rtchat: WithEventMap: nil"},
		"nil broker":                 {rtchat.WithBroker(nil), "rtchat: WithBroker: nil"},
		"nil logger":                 {rtchat.WithLogger(nil), "rtchat: WithLogger: nil"},
		"nil user lookup is allowed": {rtchat.WithUserLookup(nil), ""},
	} {
		t.Run(name, func(t *testing.T) {
			chat, err := rtchat.New(db, tc.opt)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("New: %v, want no error", err)
				}
				_ = chat.Close(context.Background())
				return
			}
			if err == nil || err.Error() != tc.want {
				t.Fatalf("New: %v\nwant: %s", err, tc.want)
			}
		})
	}

	t.Run("several bad options are all reported", func(t *testing.T) {
		_, err := rtchat.New(db, rtchat.WithPath("x"), rtchat.WithBroker(nil), rtchat.WithSendBuffer(0), rtchat.WithSerializer("Foo", noop))
		if err == nil {
			t.Fatal("New accepted four bad options")
		}
		for _, opt := range []string{"WithPath", "WithBroker", "WithSendBuffer", "WithSerializer"} {
			if !strings.Contains(err.Error(), "rtchat: "+opt) {
				t.Errorf("the error does not name %s:\n%v", opt, err)
			}
		}
		if n := len(strings.Split(err.Error(), "\n")); n != 4 {
			t.Errorf("%d lines, want one per bad option:\n%v", n, err)
		}
	})
}
