package rtchat_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// forbiddenDeps are the import path prefixes that an app importing rtchat
// must not link: it opens its own database with its own driver, and picks
// its own router. The Gin adapter, the examples, the benchmark and the
// test helpers bring them in only for whoever imports those.
var forbiddenDeps = []string{
	"modernc.org/sqlite",
	"github.com/mattn/go-sqlite3",
	"github.com/jackc/pgx",
	"github.com/lib/pq",
	"github.com/uptrace/bun/driver/", // sqliteshim, pgdriver
	"github.com/gin-gonic/",
	"github.com/chromedp/",
	"github.com/golang-jwt/",
	"github.com/rtchat/rtchat/internal/pgdb",
	"github.com/rtchat/rtchat/internal/sqlitedb",
	"github.com/rtchat/rtchat/internal/dbtest",
}

// TestRootImportIsLight: `go list -deps .` of the root package, what an app
// links by importing rtchat, names no database driver, Gin, chromedp or JWT
// package.
func TestRootImportIsLight(t *testing.T) {
	gotool := goTool(t)
	cmd := exec.Command(gotool, "list", "-deps", ".")
	out, err := cmd.Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			t.Fatalf("go list -deps .: %v\n%s", err, exit.Stderr)
		}
		t.Fatalf("go list -deps .: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatal("go list -deps . listed nothing")
	}
	for _, dep := range deps {
		for _, bad := range forbiddenDeps {
			if strings.HasPrefix(dep, bad) {
				t.Errorf("the root package depends on %s (forbidden: %s*)", dep, bad)
			}
		}
	}
	t.Logf("the root package has %d dependencies", len(deps))
}

// goTool returns the go command of the toolchain that built the test, or
// the one on PATH, and skips the test when there is none.
func goTool(t *testing.T) string {
	t.Helper()
	name := "go"
	if runtime.GOOS == "windows" {
		name = "go.exe"
	}
	if root := runtime.GOROOT(); root != "" {
		p := filepath.Join(root, "bin", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	t.Skip("no go tool: cannot list the root package's dependencies")
	return ""
}
