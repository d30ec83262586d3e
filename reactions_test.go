package rtchat_test

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/protocol"
)

type wireReactionEvent struct {
	Status  string      `json:"status"`
	Type    string      `json:"type"`
	Action  string      `json:"action"`
	Message fullMessage `json:"message"`
}

func react(typ, id, content string) map[string]any {
	d := map[string]any{"type": typ, "message_id": id}
	if content != "" {
		d["reaction_content"] = content
	}
	return d
}

// reactionsOf summarises a message's reactions as sorted "user:content"
// items (a replaced reaction takes its new time, so the order moves).
func reactionsOf(m fullMessage) []string {
	var out []string
	for _, r := range m.Reactions {
		out = append(out, itoa64(r.User.ID)+":"+r.ReactionContent)
	}
	slices.Sort(out)
	return out
}

func TestReactions(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		m := w.sendAll(t, w.a1, "react here")
		step := func(c *client.Client, data map[string]any, status, typ, action string, want ...string) {
			t.Helper()
			f := request(t, c, protocol.EventMessageReact, data)
			raw := decode[map[string]any](t, f)
			if got := sortedKeys(raw); !slices.Equal(got, []string{"action", "message", "status", "type"}) {
				t.Fatalf("reaction payload keys %v", got)
			}
			checkMessageShape(t, raw["message"], 0)
			for i, f := range receive(t, protocol.DispatchReaction, w.a1, w.a2, w.b, w.c) {
				got := decode[wireReactionEvent](t, f)
				if got.Status != status || got.Type != typ || got.Action != action || got.Message.ID != m.ID ||
					!slices.Equal(reactionsOf(got.Message), want) {
					t.Fatalf("connection %d got %s, want %s/%s/%s %v", i, f.Data, status, typ, action, want)
				}
			}
			w.quiet(t)
		}
		step(w.b, react("add", m.ID, "👍"), "successful", "add", "add", "2:👍")
		step(w.c, react("add", m.ID, "<b>ok</b>"), "successful", "add", "add", "2:👍", "3:<b>ok</b>")
		if n := countRows(t, h, "rtchat_reactions", ""); n != 2 {
			t.Fatalf("reaction rows = %d", n)
		}
		// A different reaction replaces the user's old one.
		step(w.b, react("add", m.ID, "❤️"), "successful", "add", "replace", "2:❤️", "3:<b>ok</b>")
		if n := countRows(t, h, "rtchat_reactions", "user_id = ?", 2); n != 1 {
			t.Fatalf("user 2 has %d reaction rows, want 1", n)
		}
		// The same one again is a conflict and changes nothing.
		runBad(t, w, protocol.EventMessageReact, map[string]badCase{
			"same again":            {w.b, react("add", m.ID, "❤️"), protocol.CodeConflict},
			"same again, sanitised": {w.c, react("add", m.ID, "<b>ok</b><script>x</script>"), protocol.CodeConflict},
		})
		// The sender may react to their own message, from either device.
		step(w.a2, react("add", m.ID, "🙂"), "successful", "add", "add", "1:🙂", "2:❤️", "3:<b>ok</b>")
		step(w.b, react("remove", m.ID, ""), "successful", "remove", "remove", "1:🙂", "3:<b>ok</b>")
		// Removing nothing: status failed, to the caller only.
		f := request(t, w.b, protocol.EventMessageReact, react("remove", m.ID, "❤️"))
		got := decode[wireReactionEvent](t, f)
		if f.EventType != protocol.DispatchReaction || got.Status != "failed" || got.Type != "remove" || got.Action != "remove" ||
			got.Message.ID != m.ID || !slices.Equal(reactionsOf(got.Message), []string{"1:🙂", "3:<b>ok</b>"}) {
			t.Fatalf("remove of nothing = %s", f.Data)
		}
		w.b.Drain(protocol.DispatchReaction)
		w.quiet(t)
		if n := countRows(t, h, "rtchat_reactions", ""); n != 2 {
			t.Fatalf("reaction rows = %d", n)
		}
		// History shows the reactions.
		hist := decode[struct {
			Data struct{ Messages []fullMessage } `json:"data"`
		}](t, request(t, w.c, protocol.EventRoomMessages, map[string]any{"room_id": w.room.ID}))
		if len(hist.Data.Messages) != 1 || !slices.Equal(reactionsOf(hist.Data.Messages[0]), []string{"1:🙂", "3:<b>ok</b>"}) {
			t.Fatalf("history = %+v", hist.Data.Messages)
		}
	})
}

func TestReactionRaceOfTwoDevices(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		b2 := h.dial(t, 2)
		for round := range 3 {
			m := w.sendAll(t, w.a1, "race "+itoa64(int64(round)))
			next(t, b2, protocol.DispatchMessage)
			var wg sync.WaitGroup
			codes := make([]int, 2)
			for i, c := range []*client.Client{w.b, b2} {
				wg.Go(func() {
					_, err := c.Request(testCtx(t), protocol.EventMessageReact, react("add", m.ID, "🔥"))
					if pe, ok := protocol.AsError(err); ok {
						codes[i] = pe.Code
					} else if err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			slices.Sort(codes)
			if !slices.Equal(codes, []int{0, protocol.CodeConflict}) {
				t.Fatalf("round %d: codes %v, want one success and one 4005", round, codes)
			}
			if n := countRows(t, h, "rtchat_reactions", "message_id = ?", m.ID); n != 1 {
				t.Fatalf("round %d: %d reaction rows, want 1", round, n)
			}
			// Exactly one broadcast, seen by both devices and the room.
			receive(t, protocol.DispatchReaction, w.a1, w.a2, w.b, b2, w.c)
			w.b.Drain(client.ErrorKey)
			b2.Drain(client.ErrorKey)
			quietConn(t, "b2", b2)
			w.quiet(t)
		}
	})
}

func TestReactBadInput(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		m := w.sendAll(t, w.a1, "target")
		dm := createRoom(t, w.a1, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2}})
		receive(t, protocol.DispatchRoomCreate, w.a2, w.b)
		private, _ := sendFull(t, w.a1, map[string]any{"room_id": dm.ID, "content": "private"})
		receive(t, protocol.DispatchMessage, w.a1, w.a2, w.b)
		request(t, w.b, protocol.EventMessageReact, react("add", m.ID, "👍"))
		receive(t, protocol.DispatchReaction, w.a1, w.a2, w.b, w.c)
		runBad(t, w, protocol.EventMessageReact, map[string]badCase{
			"missing type":            {w.c, map[string]any{"message_id": m.ID, "reaction_content": "x"}, protocol.CodeInvalid},
			"unknown type":            {w.c, react("like", m.ID, "x"), protocol.CodeInvalid},
			"type a bool":             {w.c, map[string]any{"type": true, "message_id": m.ID, "reaction_content": "x"}, protocol.CodeInvalid},
			"missing message_id":      {w.c, map[string]any{"type": "add", "reaction_content": "x"}, protocol.CodeInvalid},
			"message_id not a uuid":   {w.c, react("add", "m1", "x"), protocol.CodeInvalid},
			"message_id a number":     {w.c, map[string]any{"type": "add", "message_id": 1, "reaction_content": "x"}, protocol.CodeInvalid},
			"message_id a list":       {w.c, map[string]any{"type": "add", "message_id": []string{m.ID}, "reaction_content": "x"}, protocol.CodeInvalid},
			"unknown message":         {w.c, react("add", unknownID, "x"), protocol.CodeNotFound},
			"remove unknown message":  {w.c, react("remove", unknownID, ""), protocol.CodeNotFound},
			"other room's message":    {w.c, react("add", private.ID, "x"), protocol.CodePermissionDenied},
			"outsider":                {w.x, react("add", m.ID, "x"), protocol.CodePermissionDenied},
			"outsider removes":        {w.x, react("remove", m.ID, ""), protocol.CodePermissionDenied},
			"add without content":     {w.c, react("add", m.ID, ""), protocol.CodeInvalid},
			"content a number":        {w.c, map[string]any{"type": "add", "message_id": m.ID, "reaction_content": 1}, protocol.CodeInvalid},
			"content 129 characters":  {w.c, react("add", m.ID, strings.Repeat("x", 129)), protocol.CodeInvalid},
			"content only markup":     {w.c, react("add", m.ID, "<script>alert(1)</script>"), protocol.CodeInvalid},
			"data missing":            {w.c, nil, protocol.CodeInvalid},
			"same reaction again (b)": {w.b, react("add", m.ID, "👍"), protocol.CodeConflict},
		})
		// 128 characters is fine.
		request(t, w.c, protocol.EventMessageReact, react("add", m.ID, strings.Repeat("é", 128)))
		receive(t, protocol.DispatchReaction, w.a1, w.a2, w.b, w.c)
		w.quiet(t)
	})
}
