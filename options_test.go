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

func TestNewValidatesOptions(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	noop := serializer.Func(func(context.Context, any, serializer.Users) (any, error) { return nil, nil })
	for name, tc := range map[string]struct {
		opt  rtchat.Option
		want string
	}{
		"inactivity below 1s":      {rtchat.WithInactivityThreshold(time.Millisecond), "inactivity"},
		"relative path":            {rtchat.WithPath("messaging"), "path"},
		"tiny frame limit":         {rtchat.WithMaxMessageSize(10), "max message size"},
		"zero content length":      {rtchat.WithMaxContentLength(0), "content length"},
		"zero send buffer":         {rtchat.WithSendBuffer(0), "send buffer"},
		"negative write timeout":   {rtchat.WithWriteTimeout(-time.Second), "timeouts"},
		"zero session retention":   {rtchat.WithSessionRetention(0), "retention"},
		"negative rate":            {rtchat.WithRateLimit(-1, 1), "rate limit"},
		"nil permission handler":   {rtchat.WithPermissionHandler(nil), "permission"},
		"Room model replaced":      {rtchat.WithModel("Room", struct{}{}), "Room"},
		"unknown serializer":       {rtchat.WithSerializer("Banana", noop), "Banana"},
		"origin without a scheme":  {rtchat.WithAllowedOrigins("example.com"), "origin"},
		"nil presence manager":     {rtchat.WithPresence(nil), "presence"},
		"node id too long":         {rtchat.WithNodeID(strings.Repeat("n", 65)), "node id"},
		"presence interval < 0":    {rtchat.WithPresenceInterval(-time.Millisecond), "presence interval"},
		"presence push limit < 0":  {rtchat.WithPresencePushLimit(-1), "presence push limit"},
		"connections per user < 0": {rtchat.WithMaxConnectionsPerUser(-1), "max connections per user"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := rtchat.New(db, tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want an error about %q", err, tc.want)
			}
		})
	}
	if _, err := rtchat.New(nil); err == nil {
		t.Fatal("New(nil) succeeded")
	}
	chat, err := rtchat.New(db, rtchat.WithSoftDelete(true), rtchat.WithNotifications(false), rtchat.WithSerializer("Message", noop),
		rtchat.WithAllowedOrigins("https://a.example", "*"), rtchat.WithInactivityThreshold(5*time.Second),
		rtchat.WithPresenceInterval(0), rtchat.WithPresencePushLimit(0))
	if err != nil {
		t.Fatalf("valid options: %v", err)
	}
	_ = chat.Close(context.Background())
}
