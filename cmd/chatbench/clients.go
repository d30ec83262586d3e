package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// The idle scenario measures the server's memory per connection. Clients
// in the same process would be measured too (a gorilla connection with its
// buffers and reader costs about what a server connection does), so the
// clients run in a child process: chatbench re-executes itself with
// CHATBENCH_ROLE=clients, the child opens the connections, keeps reading
// them and says "ready"; the parent measures itself; closing the child's
// stdin makes it close the connections and exit. Only the server is in the
// parent's heap, RSS and goroutines.

const (
	roleEnv       = "CHATBENCH_ROLE"
	roleClients   = "clients"
	clientArgsEnv = "CHATBENCH_CLIENTS"
)

// clientsArgs tells the child what to open.
type clientsArgs struct {
	URL   string `json:"url"`
	First int64  `json:"first"` // user id of the first connection
	// URLs and Base, with several nodes, spread the connections over
	// them as the parent's dialer does (see dialer.spread).
	URLs []string `json:"urls,omitempty"`
	Base int64    `json:"base,omitempty"`
	N    int      `json:"n"`
	// Auth sends "Authorization: Bearer <user id>" (rtchat) and waits for
	// each connection's first frame before opening more, so the idle
	// scenario measures held connections rather than a connect storm
	// (the storm scenario's subject).
	Auth bool `json:"auth"`
}

// clientsMain is the child process: it returns the exit code.
func clientsMain() int {
	var a clientsArgs
	if err := json.Unmarshal([]byte(os.Getenv(clientArgsEnv)), &a); err != nil {
		fmt.Printf("error: %s: %v\n", clientArgsEnv, err)
		return 2
	}
	if _, err := raiseFileLimit(); err != nil {
		fmt.Printf("error: open-files limit: %v\n", err)
		return 1
	}
	var auth authFunc
	if a.Auth {
		auth = idAuth
	}
	d, err := newDialer(a.URL, auth)
	if err != nil {
		fmt.Printf("error: %v\n", err)
		return 1
	}
	d.spread(a.URLs, a.Base)
	users := make([]int64, a.N)
	for i := range users {
		users[i] = a.First + int64(i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	conns, err := dialMany(ctx, d, users, 64, a.Auth, nil)
	if err != nil {
		fmt.Printf("error: %v\n", err)
		return 1
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	closed := 0
	for _, c := range conns {
		if c.closed() {
			closed++
		}
	}
	closeAll(conns)
	if closed > 0 {
		fmt.Fprintf(os.Stderr, "chatbench clients: %d of %d connections had been closed by the server\n", closed, len(conns))
	}
	return 0
}

// clientsProc is a running child process of clients.
type clientsProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// startClients starts the child and waits until its connections are open.
func startClients(ctx context.Context, a clientsArgs) (*clientsProc, error) {
	args, _ := json.Marshal(a)
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	cmd := exec.CommandContext(ctx, exe)
	// GORACE: a -race build (the test binary) otherwise sleeps a second
	// on exit.
	cmd.Env = append(os.Environ(), roleEnv+"="+roleClients, clientArgsEnv+"="+string(args), "GORACE=atexit_sleep_ms=0")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("chatbench: start clients process: %w", err)
	}
	p := &clientsProc{cmd: cmd, stdin: stdin}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		_ = p.stop()
		return nil, fmt.Errorf("chatbench: clients process: %q %v", strings.TrimSpace(line), err)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return p, nil
}

// stop tells the child to close its connections and waits for it.
func (p *clientsProc) stop() error {
	_ = p.stdin.Close()
	return p.cmd.Wait()
}
