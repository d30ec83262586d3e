// Package browsertest runs headless Chromium for rtchat's browser tests:
// one browser per test, one tab per user, each tab in a browser context of
// its own (its own cookies and storage), with every request and every
// uncaught error of the page recorded for the test to check.
//
// Without Chromium the tests skip, naming ChromiumEnv; under CI (CI set)
// they fail instead.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumEnv names the Chromium binary the browser tests drive.
const ChromiumEnv = "RTCHAT_TEST_CHROMIUM"

// Chromium returns the Chromium binary: ChromiumEnv's, else chromium or
// chromium-browser on PATH. Without one it skips the test, and fails it under
// CI, where the browser tests must run.
func Chromium(tb testing.TB) string {
	tb.Helper()
	why := ChromiumEnv + " is not set and no chromium is on PATH"
	if name := os.Getenv(ChromiumEnv); name != "" {
		path, err := exec.LookPath(name)
		if err == nil {
			return path
		}
		why = fmt.Sprintf("%s=%s: %v", ChromiumEnv, name, err)
	} else {
		for _, name := range []string{"chromium", "chromium-browser"} {
			if path, err := exec.LookPath(name); err == nil {
				return path
			}
		}
	}
	msg := fmt.Sprintf("browser test: %s; install Chromium (apt-get install chromium) or set %s=/path/to/chromium", why, ChromiumEnv)
	if os.Getenv("CI") != "" {
		tb.Fatalf("%s (under CI the browser tests must run)", msg)
	}
	tb.Skip(msg)
	return ""
}

// Browser is one headless Chromium process.
type Browser struct {
	ctx context.Context // the first tab's context: the browser lives as long as it
	// steps ends a little before ctx's deadline, so that a step that ran
	// out of time can still describe its page.
	steps time.Time
}

// Start starts headless Chromium with a fresh profile, for the test: it is
// killed when ctx ends and closed when the test ends (before the test's
// servers, which were started earlier, are stopped). Give ctx a deadline: it
// bounds the whole browser test.
func Start(tb testing.TB, ctx context.Context) *Browser {
	tb.Helper()
	chromium := Chromium(tb)
	profile := tb.TempDir() // removed after the browser is closed
	allocCtx, allocCancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1000, 640),
	)
	first, cancel := chromedp.NewContext(allocCtx)
	tb.Cleanup(func() {
		// A graceful close lets Chromium end its own helper processes
		// before the profile is removed; allocCancel waits for the exit.
		if err := chromedp.Cancel(first); err != nil {
			tb.Logf("browser: close: %v", err)
		}
		cancel()
		allocCancel()
	})
	// The first Run starts the browser and ties it to first.
	if err := chromedp.Do(first); err != nil {
		tb.Fatalf("browser: start %s: %v", chromium, err)
	}
	b := &Browser{ctx: first}
	if d, ok := ctx.Deadline(); ok {
		b.steps = d.Add(-5 * time.Second)
	}
	return b
}
