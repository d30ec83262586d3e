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
		"inactivity below 1s":      {rtchat.WithInactivityThreshold(time.Millisecond), "WithInactivityThreshold"},
		"relative path":            {rtchat.WithPath("messaging"), "WithPath"},
		"tiny frame limit":         {rtchat.WithMaxMessageSize(10), "WithMaxMessageSize"},
		"zero content length":      {rtchat.WithMaxContentLength(0), "WithMaxContentLength"},
		"zero send buffer":         {rtchat.WithSendBuffer(0), "WithSendBuffer"},
		"negative write timeout":   {rtchat.WithWriteTimeout(-time.Second), "WithWriteTimeout"},
		"zero session retention":   {rtchat.WithSessionRetention(0), "WithSessionRetention"},
		"negative rate":            {rtchat.WithRateLimit(-1, 1), "WithRateLimit"},
		"nil permission handler":   {rtchat.WithPermissionHandler(nil), "WithPermissionHandler"},
		"Room model replaced":      {rtchat.WithModel("Room", struct{}{}), "Room"},
		"unknown serializer":       {rtchat.WithSerializer("Banana", noop), "Banana"},
		"origin without a scheme":  {rtchat.WithAllowedOrigins("example.com"), "WithAllowedOrigins"},
		"nil presence manager":     {rtchat.WithPresence(nil), "WithPresence"},
		"node id too long":         {rtchat.WithNodeID(strings.Repeat("n", 65)), "WithNodeID"},
		"presence interval < 0":    {rtchat.WithPresenceInterval(-time.Millisecond), "WithPresenceInterval"},
		"presence push limit < 0":  {rtchat.WithPresencePushLimit(-1), "WithPresencePushLimit"},
		"connections per user < 0": {rtchat.WithMaxConnectionsPerUser(-1), "WithMaxConnectionsPerUser"},
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
