package exampleapp

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/model"
)

// getChannels asks GET /api/channels?q= with token (none when empty) and
// returns the status and the decoded list.
func (a *testApp) getChannels(tb testing.TB, token, q string) (int, []channelOut) {
	tb.Helper()
	u := a.url + "/api/channels"
	if q != "" {
		u += "?q=" + url.QueryEscape(q)
	}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("GET %s: %v", u, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var out []channelOut
	if res.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &out); err != nil {
			tb.Fatalf("GET %s: %v in %s", u, err, body)
		}
	}
	return res.StatusCode, out
}

// TestListChannels lists public channels over HTTP: only public channels,
// newest first, with their subscriber counts, filtered by ?q= with LIKE's
// wildcards taken literally, at most 100, and only to a signed-in user.
func TestListChannels(t *testing.T) {
	eachKind(t, func(t *testing.T, kind string) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		a := startApp(t, testConfig(t, kind))
		chat, err := a.NewChat(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = chat.Close(context.Background()) })
		ann, err := a.CreateUser(ctx, "ann", "ann-password")
		if err != nil {
			t.Fatal(err)
		}
		bob, err := a.CreateUser(ctx, "bob", "bob-password")
		if err != nil {
			t.Fatal(err)
		}
		token, err := a.NewToken(bob.ID)
		if err != nil {
			t.Fatal(err)
		}
		base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		create := func(p rtchat.RoomParams, age time.Duration) string {
			t.Helper()
			room, err := chat.CreateRoom(ctx, ann.ID, p)
			if err != nil {
				t.Fatalf("CreateRoom %q: %v", p.Name, err)
			}
			// Rooms made in one test are made within the clock's
			// resolution: give each its own creation time.
			if _, err := a.db.NewUpdate().Model((*model.Room)(nil)).Set("created_at = ?", base.Add(-age)).
				Where("id = ?", room.ID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			return room.ID
		}
		public := map[string]any{"is_public": true}
		// The example's rule: a channel takes only users who share a room
		// with its creator.
		create(rtchat.RoomParams{Type: model.TypeOneToOne, Participants: []int64{bob.ID}}, 4*time.Hour)
		goNews := create(rtchat.RoomParams{Type: model.TypeChannel, Name: "Go news", Description: "weekly",
			Subscribers: []int64{bob.ID}, ExtraFields: public}, 3*time.Hour)
		create(rtchat.RoomParams{Type: model.TypeChannel, Name: "Go private"}, 2*time.Hour)
		create(rtchat.RoomParams{Type: model.TypeGroup, Name: "Go group", Participants: []int64{bob.ID}}, 90*time.Minute)
		rust := create(rtchat.RoomParams{Type: model.TypeChannel, Name: "Rust_talk", ExtraFields: public}, time.Hour)

		status, got := a.getChannels(t, token, "")
		want := []channelOut{
			{ID: rust, Name: "Rust_talk", SubscriberCount: 1},
			{ID: goNews, Name: "Go news", Description: "weekly", SubscriberCount: 2},
		}
		if status != http.StatusOK || !slices.Equal(got, want) {
			t.Fatalf("GET /api/channels: HTTP %d %+v, want 200 %+v", status, got, want)
		}
		for q, want := range map[string][]string{
			"GO":   {"Go news"},
			"_":    {"Rust_talk"},
			"%":    nil,
			"news": {"Go news"},
			"zzz":  nil,
		} {
			status, got := a.getChannels(t, token, q)
			var names []string
			for _, c := range got {
				names = append(names, c.Name)
			}
			if status != http.StatusOK || !slices.Equal(names, want) {
				t.Errorf("GET /api/channels?q=%s: HTTP %d %q, want 200 %q", q, status, names, want)
			}
		}
		if status, _ := a.getChannels(t, "", ""); status != http.StatusUnauthorized {
			t.Errorf("GET /api/channels without a token: HTTP %d, want 401", status)
		}

		for i := range maxChannels {
			create(rtchat.RoomParams{Type: model.TypeChannel, Name: fmt.Sprintf("bulk %d", i), ExtraFields: public},
				time.Duration(i)*time.Second)
		}
		status, got = a.getChannels(t, token, "")
		if status != http.StatusOK || len(got) != maxChannels || got[0].Name != "bulk 0" || got[maxChannels-1].Name != "bulk 99" {
			t.Fatalf("GET /api/channels with %d public channels: HTTP %d, %d channels, want the newest %d", maxChannels+2,
				status, len(got), maxChannels)
		}
	})
}
