package main

import (
	"net/http"

	"github.com/olahol/melody"
)

// bareMelody is the baseline server: melody v1.4.0 with its defaults but
// for the message size (rtchat's 64 KiB, so the same frames pass), no
// auth, no database, no protocol.
type bareMelody struct {
	m    *melody.Melody
	url  string
	stop func() error
}

// melodyMode says what the baseline server does with a frame it receives.
type melodyMode int

const (
	melodyIdle      melodyMode = iota // nothing
	melodyBroadcast                   // send it to every other connection
	melodyEcho                        // send it back
)

func startMelody(mode melodyMode) (*bareMelody, error) {
	m := melody.New()
	m.Config.MaxMessageSize = 64 << 10
	switch mode {
	case melodyBroadcast:
		m.HandleMessage(func(s *melody.Session, msg []byte) { _ = m.BroadcastOthers(msg, s) })
	case melodyEcho:
		m.HandleMessage(func(s *melody.Session, msg []byte) { _ = s.Write(msg) })
	}
	addr, stop, err := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = m.HandleRequest(w, r)
	}))
	if err != nil {
		return nil, err
	}
	return &bareMelody{m: m, url: "ws://" + addr + "/", stop: func() error {
		_ = m.Close()
		return stop()
	}}, nil
}
