package main

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/rtchat/rtchat/internal/exampleapp/exampletest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestExample runs the examples' scenarios against this app.
func TestExample(t *testing.T) {
	exampletest.Run(t, newServer)
}

// TestBrowser drives the chat page of this app in headless Chromium
// (RTCHAT_TEST_CHROMIUM; it skips without, except under CI).
func TestBrowser(t *testing.T) {
	exampletest.Browser(t, newServer)
}

// TestTwoNodes runs two of this app on one Postgres and one Redis, as
// README's "Running several nodes" does.
func TestTwoNodes(t *testing.T) {
	exampletest.TwoNodes(t, newServer)
}
