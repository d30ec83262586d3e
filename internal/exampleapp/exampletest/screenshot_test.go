package exampletest

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// TestScreenshot checks the README's screenshot (ScreenshotPath), which the
// 1:1 browser scenario writes with RTCHAT_UPDATE_SCREENSHOT=1: a PNG of the
// scenario's viewport, small enough for the repository.
func TestScreenshot(t *testing.T) {
	path := filepath.Join(repoRoot(t), ScreenshotPath)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the README's screenshot: %v (write it with %s=1 go test -run Browser ./echoexample/)", err, ScreenshotEnv)
	}
	if len(b) < 10<<10 || len(b) > 200<<10 {
		t.Errorf("%s is %d bytes, want 10 KB to 200 KB", path, len(b))
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s is not a PNG: %v", path, err)
	}
	if cfg.Width < 800 || cfg.Height < 500 {
		t.Errorf("%s is %dx%d, want the 1000x640 viewport of the browser tests", path, cfg.Width, cfg.Height)
	}
}
