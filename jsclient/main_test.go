package jsclient_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind: the
// rtchat servers, the proxies and the browsers the tests start must all end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
