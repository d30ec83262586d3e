package rtchat_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
	"github.com/uptrace/bun/dialect"
)

// wireSearch is messagesearch.dispatch as the tests read it.
type wireSearch struct {
	Query      string       `json:"query"`
	RoomID     *string      `json:"room_id"`
	Results    []wireResult `json:"results"`
	HasMore    bool         `json:"has_more"`
	NextCursor *string      `json:"next_cursor"`
}

type wireResult struct {
	Message    wireMessage `json:"message"`
	Snippet    string      `json:"snippet"`
	Highlights [][2]int    `json:"highlights"`
	Rank       float64     `json:"rank"`
}

// search runs message.search as c and returns its answer.
func search(t testing.TB, c *client.Client, data map[string]any) wireSearch {
	t.Helper()
	f := request(t, c, protocol.EventMessageSearch, data)
	if f.EventType != protocol.DispatchMessageSearch {
		t.Fatalf("message.search answered %s", f.EventType)
	}
	return decode[wireSearch](t, f)
}

// ids are the message ids of a search's results, in order.
func (s wireSearch) ids() []string {
	out := make([]string, 0, len(s.Results))
	for _, r := range s.Results {
		out = append(out, r.Message.ID)
	}
	return out
}

// highlighted returns the highlighted parts of a result's snippet.
func (r wireResult) highlighted() []string {
	runes := []rune(r.Snippet)
	var out []string
	for _, h := range r.Highlights {
		out = append(out, string(runes[h[0]:h[1]]))
	}
	return out
}

// TestSearchOwnRoomsOnly: a search finds by word, case ignored, every word
// required, the better match first, in the caller's rooms only: never in
// another user's private room with the same word, nor in a room the caller
// left; naming such a room is refused as room.messages refuses it.
func TestSearchOwnRoomsOnly(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, b, c := h.dial(t, 1), h.dial(t, 2), h.dial(t, 3)
		team := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "team", "participants": []int64{2}})
		private := createRoom(t, b, map[string]any{"type": protocol.RoomGroup, "name": "private", "participants": []int64{3}})
		left := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "left", "participants": []int64{2}})
		m1 := post(t, a, team.ID, "the quick brown fox jumps")
		m2 := post(t, b, team.ID, "fox, fox and one more fox")
		post(t, a, team.ID, "nothing to see here")
		secret := post(t, b, private.ID, "fox secret plans")
		gone := post(t, a, left.ID, "fox left behind")
		act(t, a, protocol.EventRoomLeave, roomData(left.ID))
		barrier(t, c)

		s := search(t, a, map[string]any{"query": "  fox "})
		if !slices.Equal(s.ids(), []string{m2.ID, m1.ID}) {
			t.Fatalf("alice's search for fox = %v, want [%s %s] (the better match first)", s.ids(), m2.ID, m1.ID)
		}
		if s.Query != "fox" || s.RoomID != nil || s.HasMore || s.NextCursor != nil {
			t.Fatalf("answer = %+v", s)
		}
		if s.Results[0].Rank <= s.Results[1].Rank {
			t.Fatalf("ranks %v, %v: want the first higher", s.Results[0].Rank, s.Results[1].Rank)
		}
		var raw struct {
			Results []struct {
				Message map[string]any `json:"message"`
			} `json:"results"`
		}
		f := request(t, a, protocol.EventMessageSearch, map[string]any{"query": "quick"})
		if err := json.Unmarshal(f.Data, &raw); err != nil || len(raw.Results) != 1 {
			t.Fatalf("search quick = %s (%v)", f.Data, err)
		}
		checkMessageShape(t, raw.Results[0].Message, 0) // the Message serializer's shape

		r := s.Results[1]
		if r.Snippet != "the quick brown fox jumps" || !slices.Equal(r.Highlights, [][2]int{{16, 19}}) {
			t.Fatalf("snippet %q highlights %v", r.Snippet, r.Highlights)
		}
		if got := s.Results[0].highlighted(); !slices.Equal(got, []string{"fox", "fox", "fox"}) {
			t.Fatalf("highlighted %q in %q", got, s.Results[0].Snippet)
		}
		for query, want := range map[string][]string{
			"FOX Quick":     {m1.ID},
			"quick secret":  {},
			"secret":        {},
			"behind":        {},
			"!!! ???":       {},
			"fox nothing":   {},
			"see   NOTHING": nil, // the third message; checked by count below
		} {
			got := search(t, a, map[string]any{"query": query})
			if want != nil && !slices.Equal(got.ids(), want) {
				t.Errorf("alice's search for %q = %v, want %v", query, got.ids(), want)
			}
			if want == nil && len(got.Results) != 1 {
				t.Errorf("alice's search for %q found %d, want 1", query, len(got.Results))
			}
		}
		// Bob is in all three rooms: the same query finds his rooms' messages.
		if got := search(t, b, map[string]any{"query": "fox"}).ids(); len(got) != 4 || !slices.Contains(got, secret.ID) || !slices.Contains(got, gone.ID) {
			t.Fatalf("bob's search for fox = %v, want 4 with %s and %s", got, secret.ID, gone.ID)
		}
		// Carol, in the private room only.
		if got := search(t, c, map[string]any{"query": "fox"}).ids(); !slices.Equal(got, []string{secret.ID}) {
			t.Fatalf("carol's search for fox = %v", got)
		}

		// One room.
		in := search(t, a, map[string]any{"query": "fox", "room_id": strings.ToUpper(team.ID)})
		if !slices.Equal(in.ids(), []string{m2.ID, m1.ID}) || in.RoomID == nil || *in.RoomID != team.ID {
			t.Fatalf("search in the team = %+v", in)
		}
		// A room the caller is not in, or left, is refused as room.messages
		// refuses it; one that does not exist is 4004, as there.
		for name, id := range map[string]string{"private": private.ID, "left": left.ID, "unknown": unknownID} {
			want := refuse(t, a, protocol.EventRoomMessages, roomData(id))
			got := refuse(t, a, protocol.EventMessageSearch, map[string]any{"query": "fox", "room_id": id})
			if got.Code != want.Code || fmt.Sprint(got.Detail) != fmt.Sprint(want.Detail) {
				t.Errorf("%s room: search answered %d %v, room.messages %d %v", name, got.Code, got.Detail, want.Code, want.Detail)
			}
		}
		wantCode(t, refuse(t, a, protocol.EventMessageSearch, map[string]any{"query": "fox", "room_id": private.ID}), protocol.CodePermissionDenied)
	})
}

// TestSearchIndexesText: content is sanitised HTML; its text is searched,
// not its tags or attributes, and the snippet is plain text.
func TestSearchIndexesText(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a := h.dial(t, 1)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "team"})
		m := post(t, a, room.ID, `<p>Meet at <b>noon</b></p><p>by the <a href="https://willow.example/">river</a> &amp; more</p>`)
		s := search(t, a, map[string]any{"query": "river"})
		if !slices.Equal(s.ids(), []string{m.ID}) {
			t.Fatalf("search river = %v", s.ids())
		}
		if r := s.Results[0]; r.Snippet != "Meet at noon by the river & more" || !slices.Equal(r.highlighted(), []string{"river"}) {
			t.Fatalf("snippet %q, highlights %v", r.Snippet, r.Highlights)
		}
		for _, q := range []string{"willow", "href", "example", "strong", "amp"} {
			if got := search(t, a, map[string]any{"query": q}).ids(); len(got) != 0 {
				t.Errorf("search %q (markup) = %v, want nothing", q, got)
			}
		}
		// A long message: the snippet is cut around the match.
		long := strings.Repeat("filler words here ", 30) + "the needle is here " + strings.Repeat("more text after ", 30)
		post(t, a, room.ID, long)
		r := search(t, a, map[string]any{"query": "needle"}).Results
		if len(r) != 1 || !strings.HasPrefix(r[0].Snippet, "…") || !strings.HasSuffix(r[0].Snippet, "…") ||
			len([]rune(r[0].Snippet)) > 162 || !slices.Equal(r[0].highlighted(), []string{"needle"}) {
			t.Fatalf("long snippet %q highlights %v", r[0].Snippet, r[0].Highlights)
		}
	})
}

// TestSearchPages: a cursor pages through the ranked results without
// repeats or gaps, before_seq keeps older messages, and a page never holds
// more than limit.
func TestSearchPages(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a := h.dial(t, 1)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "team"})
		var all []string
		for i := range 7 {
			// Two of them mention alpha twice: they rank first.
			content := fmt.Sprintf("alpha note %d", i)
			if i == 2 || i == 5 {
				content = fmt.Sprintf("alpha alpha %d", i)
			}
			all = append(all, post(t, a, room.ID, content).ID)
		}
		post(t, a, room.ID, "beta")
		var got []string
		var sizes []int
		data := map[string]any{"query": "alpha", "limit": 3}
		for {
			s := search(t, a, data)
			got = append(got, s.ids()...)
			sizes = append(sizes, len(s.Results))
			if s.HasMore != (s.NextCursor != nil) {
				t.Fatalf("has_more %v with next_cursor %v", s.HasMore, s.NextCursor)
			}
			if !s.HasMore {
				break
			}
			if len(sizes) > 5 {
				t.Fatalf("no end after %v", got)
			}
			data["cursor"] = *s.NextCursor
		}
		if !slices.Equal(sizes, []int{3, 3, 1}) {
			t.Fatalf("page sizes %v", sizes)
		}
		// Best first (the two double mentions), then newest first.
		want := []string{all[5], all[2], all[6], all[4], all[3], all[1], all[0]}
		if !slices.Equal(got, want) {
			t.Fatalf("pages = %v, want %v", got, want)
		}
		// Default limit: everything here at once.
		if s := search(t, a, map[string]any{"query": "alpha"}); !slices.Equal(s.ids(), want) || s.HasMore {
			t.Fatalf("one page = %v (has_more %v)", s.ids(), s.HasMore)
		}
		// before_seq: the messages below seq 4 (the first three), ranked.
		s := search(t, a, map[string]any{"query": "alpha", "room_id": room.ID, "before_seq": 4})
		if !slices.Equal(s.ids(), []string{all[2], all[1], all[0]}) {
			t.Fatalf("before_seq 4 = %v", s.ids())
		}
	})
}

// TestSearchEditsAndDeletes: an edit's old text no longer matches and its
// new text does; a deleted message never matches, hard or soft deleted.
func TestSearchEditsAndDeletes(t *testing.T) {
	for name, opts := range map[string][]rtchat.Option{"hard": nil, "soft": {rtchat.WithSoftDelete(true)}} {
		t.Run(name, func(t *testing.T) {
			eachDB(t, func(t *testing.T, h *harness) {
				a := h.dial(t, 1)
				room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "team"})
				m1 := post(t, a, room.ID, "the quick brown fox")
				m2 := post(t, a, room.ID, "a lazy dog sleeps")
				act(t, a, protocol.EventMessageModify, update(m1.ID, "a slow green turtle"))
				if got := search(t, a, map[string]any{"query": "quick"}).ids(); len(got) != 0 {
					t.Fatalf("the edited-away text still matches: %v", got)
				}
				s := search(t, a, map[string]any{"query": "turtle"})
				if !slices.Equal(s.ids(), []string{m1.ID}) || s.Results[0].Message.Content != "a slow green turtle" {
					t.Fatalf("search for the new text = %+v", s)
				}
				act(t, a, protocol.EventMessageModify, map[string]any{"action": "delete", "message_id": m2.ID})
				for _, q := range []string{"dog", "lazy sleeps"} {
					if got := search(t, a, map[string]any{"query": q}).ids(); len(got) != 0 {
						t.Fatalf("the deleted message matches %q: %v", q, got)
					}
				}
				if got := search(t, a, map[string]any{"query": "a"}).ids(); !slices.Equal(got, []string{m1.ID}) {
					t.Fatalf("search a = %v, want only the edited message", got)
				}
				wantRows := 0
				if name == "soft" {
					wantRows = 1
				}
				if n := countRows(t, h, "rtchat_messages", "id = ?", m2.ID); n != wantRows {
					t.Fatalf("%d rows of the deleted message, want %d", n, wantRows)
				}
				if h.db.Dialect().Name() != dialect.PG {
					// SQLite's index keeps nothing of a deleted message,
					// nor of a deleted room's messages.
					if n := countRows(t, h, "rtchat_message_search", "message_id = ?", m2.ID); n != 0 {
						t.Fatalf("the deleted message is still in the search table")
					}
					act(t, a, protocol.EventRoomModify, modify(room.ID, "delete", nil))
					if n := countRows(t, h, "rtchat_message_search", ""); n != 0 {
						t.Fatalf("%d search rows left after the room was deleted", n)
					}
				}
			}, opts...)
		})
	}
}

// TestSearchBadInput: bad input is 4003 naming the field, changes nothing
// and leaves the connection working.
func TestSearchBadInput(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a := h.dial(t, 1)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "team"})
		m := post(t, a, room.ID, "findable words")
		before := dbState(t, h)
		for name, tc := range map[string]struct {
			data  any
			field string
		}{
			"no query":                   {map[string]any{}, "query"},
			"blank query":                {map[string]any{"query": " \t\n "}, "query"},
			"query too long":             {map[string]any{"query": strings.Repeat("é", 257)}, "query"},
			"query not a string":         {map[string]any{"query": 5}, "query"},
			"limit 0":                    {map[string]any{"query": "words", "limit": 0}, "limit"},
			"limit 51":                   {map[string]any{"query": "words", "limit": 51}, "limit"},
			"limit not a number":         {map[string]any{"query": "words", "limit": "ten"}, "limit"},
			"bad room id":                {map[string]any{"query": "words", "room_id": "room-1"}, "room_id"},
			"before_seq 0":               {map[string]any{"query": "words", "room_id": room.ID, "before_seq": 0}, "before_seq"},
			"before_seq without room_id": {map[string]any{"query": "words", "before_seq": 3}, "before_seq"},
			"bad cursor":                 {map[string]any{"query": "words", "cursor": "not a cursor"}, "cursor"},
			"forged cursor":              {map[string]any{"query": "words", "cursor": "eyJyIjoxfQ"}, "cursor"},
			"data not an object":         {json.RawMessage(`"words"`), "data"},
		} {
			pe := requestErr(t, a, protocol.EventMessageSearch, tc.data)
			if pe.Code != protocol.CodeInvalid {
				t.Errorf("%s: code %d (%v), want 4003", name, pe.Code, pe.Detail)
				continue
			}
			if d, ok := pe.Detail.(map[string]any); !ok || d[tc.field] == nil {
				t.Errorf("%s: detail %v does not name %s", name, pe.Detail, tc.field)
			}
		}
		a.Drain(client.ErrorKey)
		// The longest query is fine, and the connection still works.
		search(t, a, map[string]any{"query": strings.Repeat("é", 256)})
		if got := search(t, a, map[string]any{"query": "findable", "limit": 50}).ids(); !slices.Equal(got, []string{m.ID}) {
			t.Fatalf("search after the bad input = %v", got)
		}
		if after := dbState(t, h); after != before {
			t.Fatalf("bad search input changed the database:\nbefore %s\nafter  %s", before, after)
		}
	})
}

// TestSearchOff: WithSearch(false) takes message.search out of the event
// map; an app's own event of that name still applies.
func TestSearchOff(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a := h.dial(t, 1)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "team"})
		post(t, a, room.ID, "findable")
		pe := requestErr(t, a, protocol.EventMessageSearch, map[string]any{"query": "findable"})
		wantError(t, pe, protocol.CodeInvalid, protocol.DetailInvalidEventType)
		act(t, a, protocol.EventRoomMessages, roomData(room.ID)) // the rest works
	}, rtchat.WithSearch(false))
}

// TestSearchCustomMessage: with the app's Message model, results are the
// app's messages, its fields shown.
func TestSearchCustomMessage(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		addColumns(t, h.db, "rtchat_messages", messageColumns...)
		a := h.dial(t, 1)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "team"})
		request(t, a, protocol.EventMessageSend, map[string]any{"room_id": room.ID, "content": "server on fire",
			"extra_fields": map[string]any{"priority": "urgent", "is_pinned": true}})
		a.Drain(protocol.DispatchMessage)
		var out struct {
			Results []struct {
				Message map[string]any `json:"message"`
			} `json:"results"`
		}
		f := request(t, a, protocol.EventMessageSearch, map[string]any{"query": "fire"})
		if err := json.Unmarshal(f.Data, &out); err != nil || len(out.Results) != 1 {
			t.Fatalf("search = %s (%v)", f.Data, err)
		}
		wantFields(t, "search result", out.Results[0].Message, "urgent", nil, true)
	}, customMessageOptions()...)
}

// TestSearchSerializer: the app can replace the answer's shape
// (WithSerializer("SearchResults")), wrapping the default.
func TestSearchSerializer(t *testing.T) {
	wrap := serializer.Func(func(ctx context.Context, v any, us serializer.Users) (any, error) {
		in := v.(serializer.SearchInput)
		return map[string]any{"count": len(in.Results), "default": serializer.SearchResults(in, us)}, nil
	})
	eachDB(t, func(t *testing.T, h *harness) {
		a := h.dial(t, 1)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "team"})
		post(t, a, room.ID, "findable")
		got := decode[struct {
			Count   int        `json:"count"`
			Default wireSearch `json:"default"`
		}](t, request(t, a, protocol.EventMessageSearch, map[string]any{"query": "findable"}))
		if got.Count != 1 || len(got.Default.Results) != 1 || got.Default.Results[0].Snippet != "findable" {
			t.Fatalf("replaced answer = %+v", got)
		}
	}, rtchat.WithSerializer(serializer.NameSearchResults, wrap))
}
