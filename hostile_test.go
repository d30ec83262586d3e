package rtchat_test

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/protocol"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// hostileWorld is what the hostile cases act on. User 1 created the group
// G (members 1 and 2), the channel C (1 its moderator, 2 a subscriber
// without grants) and the 1:1 D with 2; users 4 and 5 share the group O.
// User 3 is in no room: the outsider. M1 and M2 are messages of 1 and 2 in
// G, M3 one of 2 in D, M4 another of 2 in G, OM one of 4 in O.
type hostileWorld struct {
	ids map[string]string // placeholder -> id
}

func newHostileWorld(t *testing.T, h *harness) *hostileWorld {
	t.Helper()
	u1, u2, u4 := h.dial(t, 1), h.dial(t, 2), h.dial(t, 4)
	g := createRoom(t, u1, map[string]any{"type": protocol.RoomGroup, "name": "G", "participants": []int64{2}})
	c := createRoom(t, u1, map[string]any{"type": protocol.RoomChannel, "name": "C", "participants": []int64{2}})
	d := createRoom(t, u1, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2}})
	o := createRoom(t, u4, map[string]any{"type": protocol.RoomGroup, "name": "O", "participants": []int64{5}})
	w := &hostileWorld{ids: map[string]string{
		"G": g.ID, "C": c.ID, "D": d.ID, "O": o.ID,
		"M1": send(t, u1, g.ID, "one").ID,
		"M2": send(t, u2, g.ID, "two").ID,
		"M3": send(t, u2, d.ID, "three").ID,
		"M4": send(t, u2, g.ID, "four").ID,
		"OM": send(t, u4, o.ID, "theirs").ID,
		// A well-formed id of no room or message.
		"NONE": "0b6f1a3e-5d2c-4e8f-9a7b-1c2d3e4f5a6b",
	}}
	for _, cl := range []*client.Client{u1, u2, u4} {
		_ = cl.Close()
	}
	return w
}

// frame replaces each {X} in tmpl with the world's id X.
func (w *hostileWorld) frame(tmpl string) string {
	for k, v := range w.ids {
		tmpl = strings.ReplaceAll(tmpl, "{"+k+"}", v)
	}
	return tmpl
}

// ev is a request frame of event with data (JSON text).
func ev(event, data string) string {
	return `{"event_type":"` + event + `","request_id":"hostile","data":` + data + `}`
}

// hostileCase is one hostile frame: who sends it, and how rtchat answers.
type hostileCase struct {
	name   string
	actor  int64
	frame  string // a template for hostileWorld.frame
	binary bool
	code   int // the error frame's code; 0 when the connection is closed
	closes int // the close code, when the frame closes the connection
}

var (
	long65    = strings.Repeat("r", 65)
	long129   = strings.Repeat("x", 129)
	nested    = strings.Repeat("[", 5000) + strings.Repeat("]", 5000)
	inject    = `'; DROP TABLE rtchat_messages; --`
	ids501    = "[" + strings.TrimSuffix(strings.Repeat(`"{M1}",`, 501), ",") + "]"
	users1001 = "[" + strings.TrimSuffix(strings.Repeat(`7,`, 1001), ",") + "]"
	users501  = "[" + strings.TrimSuffix(strings.Repeat(`7,`, 501), ",") + "]"
	media21   = "[" + strings.TrimSuffix(strings.Repeat(mediaJSON(`"media_url":"https://cdn.example/a.png"`)+",", 21), ",") + "]"
)

// mediaJSON is one valid media item with fields replaced or added.
func mediaJSON(fields ...string) string {
	base := map[string]string{
		"media_url": `"https://cdn.example/a.png"`, "media_type": `"image"`, "mime_type": `"image/png"`, "file_size": `10`, "caption": `"c"`,
	}
	for _, f := range fields {
		k, v, _ := strings.Cut(f, ":")
		base[strings.Trim(k, `"`)] = v
	}
	keys := make([]string, 0, len(base))
	for k := range base {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, `"`+k+`":`+base[k])
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// sendWith is message.send data into room with content and extra fields.
func sendWith(room, extra string) string {
	return `{"room_id":"{` + room + `}","content":"hi","extra_fields":{` + extra + `}}`
}

const (
	hInvalid  = protocol.CodeInvalid
	hDenied   = protocol.CodePermissionDenied
	hNotFound = protocol.CodeNotFound
	hConflict = protocol.CodeConflict
	hOutsider = 3
	hMember   = 2
	hCreator  = 1
	hTooBig   = protocol.CloseMessageTooBig
)

var hostileCases = []hostileCase{
	// Malformed frames.
	{"not JSON", hMember, `{"event_type":`, false, hInvalid, 0},
	{"a JSON array", hMember, `[1,2,3]`, false, hInvalid, 0},
	{"a JSON string", hMember, `"message.send"`, false, hInvalid, 0},
	{"a JSON number", hMember, `42`, false, hInvalid, 0},
	{"JSON null", hMember, `null`, false, hInvalid, 0},
	{"an empty frame", hMember, ``, false, hInvalid, 0},
	{"a binary frame", hMember, ev("room.list", "{}"), true, hInvalid, 0},
	{"request_id a number", hMember, `{"event_type":"room.list","request_id":5,"data":{}}`, false, hInvalid, 0},
	{"request_id over 64 characters", hMember, `{"event_type":"room.list","request_id":"` + long65 + `","data":{}}`, false, hInvalid, 0},
	{"a heartbeat with request_id a list", hMember, `{"event_type":"session.heartbeat","request_id":["a"]}`, false, hInvalid, 0},
	{"no event_type", hMember, `{"request_id":"hostile","data":{}}`, false, hInvalid, 0},
	{"event_type a number", hMember, `{"event_type":7,"request_id":"hostile","data":{}}`, false, hInvalid, 0},
	{"event_type an object", hMember, `{"event_type":{"name":"message.send"},"request_id":"hostile"}`, false, hInvalid, 0},
	{"data a string", hMember, ev("message.send", `"{G}"`), false, hInvalid, 0},
	{"data an array", hMember, ev("room.info", `["{G}"]`), false, hInvalid, 0},
	{"data nested 5,000 deep", hMember, ev("message.send", nested), false, hInvalid, 0},
	{"a frame over the size limit", hMember, ev("message.send", `{"room_id":"{G}","content":"`+strings.Repeat("x", 70_000)+`"}`), false, 0, hTooBig},
	{"a later duplicate event_type wins", hMember, `{"event_type":"room.list","event_type":"message.send","request_id":"hostile","data":{}}`, false, hInvalid, 0},

	// Unknown events.
	{"an unknown event", hMember, ev("room.destroy_everything", `{"room_id":"{G}"}`), false, hInvalid, 0},
	{"an event named like a path", hMember, ev("../../etc/passwd", `{}`), false, hInvalid, 0},
	{"an event named __proto__", hMember, ev("__proto__", `{}`), false, hInvalid, 0},
	{"a built-in event in upper case", hMember, ev("MESSAGE.SEND", `{"room_id":"{G}","content":"hi"}`), false, hInvalid, 0},
	{"a dispatch name as an event", hMember, ev("message.dispatch", `{"room_id":"{G}","content":"hi"}`), false, hInvalid, 0},

	// message.send.
	{"send without room_id", hMember, ev("message.send", `{"content":"hi"}`), false, hInvalid, 0},
	{"send to an injection-looking room_id", hMember, ev("message.send", `{"room_id":"`+inject+`","content":"hi"}`), false, hInvalid, 0},
	{"send with room_id a number", hMember, ev("message.send", `{"room_id":12,"content":"hi"}`), false, hInvalid, 0},
	{"send with content a number", hMember, ev("message.send", `{"room_id":"{G}","content":123}`), false, hInvalid, 0},
	{"send without content or media", hMember, ev("message.send", `{"room_id":"{G}"}`), false, hInvalid, 0},
	{"send content over the limit", hMember, ev("message.send", `{"room_id":"{G}","content":"`+strings.Repeat("x", 10_001)+`"}`), false, hInvalid, 0},
	{"send by an outsider", hOutsider, ev("message.send", `{"room_id":"{G}","content":"hi"}`), false, hDenied, 0},
	{"send by an hOutsider to a 1:1", hOutsider, ev("message.send", `{"room_id":"{D}","content":"hi"}`), false, hDenied, 0},
	{"send by a subscriber without the grant", hMember, ev("message.send", `{"room_id":"{C}","content":"hi"}`), false, hDenied, 0},
	{"send to no room", hMember, ev("message.send", `{"room_id":"{NONE}","content":"hi"}`), false, hNotFound, 0},
	{"send with client_msg_id over 64", hMember, ev("message.send", `{"room_id":"{G}","content":"hi","client_msg_id":"`+long65+`"}`), false, hInvalid, 0},
	{"send with client_msg_id a number", hMember, ev("message.send", `{"room_id":"{G}","content":"hi","client_msg_id":5}`), false, hInvalid, 0},
	{"reply to another room's message", hMember, ev("message.send", sendWith("G", `"parent_message_id":"{OM}"`)), false, hDenied, 0},
	{"forward another room's message", hMember, ev("message.send", sendWith("G", `"forwarded_from_id":"{OM}"`)), false, hDenied, 0},
	{"reply and forward at once", hMember, ev("message.send", sendWith("G", `"parent_message_id":"{M1}","forwarded_from_id":"{M1}"`)), false, hInvalid, 0},
	{"reply to a parent id that is not a uuid", hMember, ev("message.send", sendWith("G", `"parent_message_id":"1 OR 1=1"`)), false, hInvalid, 0},
	{"media not a list", hMember, ev("message.send", sendWith("G", `"media":"https://cdn.example/a.png"`)), false, hInvalid, 0},
	{"21 media", hMember, ev("message.send", sendWith("G", `"media":`+media21)), false, hInvalid, 0},
	{"a javascript: media_url", hMember, ev("message.send", sendWith("G", `"media":[`+mediaJSON(`media_url:"javascript:alert(1)"`)+`]`)), false, hInvalid, 0},
	{"a media_url over 2048", hMember, ev("message.send", sendWith("G", `"media":[`+mediaJSON(`media_url:"https://cdn.example/`+strings.Repeat("a", 2048)+`"`)+`]`)), false, hInvalid, 0},
	{"an unknown media_type", hMember, ev("message.send", sendWith("G", `"media":[`+mediaJSON(`media_type:"exe"`)+`]`)), false, hInvalid, 0},
	{"a text/html mime_type", hMember, ev("message.send", sendWith("G", `"media":[`+mediaJSON(`mime_type:"text/html"`)+`]`)), false, hInvalid, 0},
	{"a negative file_size", hMember, ev("message.send", sendWith("G", `"media":[`+mediaJSON(`file_size:-1`)+`]`)), false, hInvalid, 0},
	{"a file_size beyond int64", hMember, ev("message.send", sendWith("G", `"media":[`+mediaJSON(`file_size:1e30`)+`]`)), false, hInvalid, 0},
	{"a caption over 1024", hMember, ev("message.send", sendWith("G", `"media":[`+mediaJSON(`caption:"`+strings.Repeat("c", 1025)+`"`)+`]`)), false, hInvalid, 0},

	// message.read, message.acknowledged, message.edits.
	{"read an id that is not a uuid", hMember, ev("message.read", `{"message_id":"`+inject+`"}`), false, hInvalid, 0},
	{"read 501 ids", hMember, ev("message.read", `{"message_id":`+ids501+`}`), false, hInvalid, 0},
	{"read an empty list", hMember, ev("message.read", `{"message_id":[]}`), false, hInvalid, 0},
	{"read by an outsider", hOutsider, ev("message.read", `{"message_id":"{M1}"}`), false, hDenied, 0},
	{"read another room's message", hMember, ev("message.read", `{"message_id":["{M1}","{OM}"]}`), false, hDenied, 0},
	{"acknowledge a number", hMember, ev("message.acknowledged", `{"message_id":5}`), false, hInvalid, 0},
	{"acknowledge by an outsider", hOutsider, ev("message.acknowledged", `{"message_id":"{M1}"}`), false, hDenied, 0},
	{"edits by an outsider", hOutsider, ev("message.edits", `{"message_id":"{M1}"}`), false, hDenied, 0},
	{"edits of a path", hMember, ev("message.edits", `{"message_id":"../../{M1}"}`), false, hInvalid, 0},

	// message.react.
	{"react with an unknown type", hMember, ev("message.react", `{"type":"explode","message_id":"{M1}","reaction_content":"x"}`), false, hInvalid, 0},
	{"react add without content", hMember, ev("message.react", `{"type":"add","message_id":"{M1}"}`), false, hInvalid, 0},
	{"react content over 128", hMember, ev("message.react", `{"type":"add","message_id":"{M1}","reaction_content":"`+long129+`"}`), false, hInvalid, 0},
	{"react content blank once sanitised", hMember, ev("message.react", `{"type":"add","message_id":"{M1}","reaction_content":"<script></script>"}`), false, hInvalid, 0},
	{"react by an outsider", hOutsider, ev("message.react", `{"type":"add","message_id":"{M1}","reaction_content":"x"}`), false, hDenied, 0},
	{"react to another room's message", hMember, ev("message.react", `{"type":"add","message_id":"{OM}","reaction_content":"x"}`), false, hDenied, 0},

	// message.modify.
	{"modify another's message", hMember, ev("message.modify", `{"action":"update","message_id":"{M1}","extra_fields":{"content":"mine now"}}`), false, hDenied, 0},
	{"modify the sender", hMember, ev("message.modify", `{"action":"update","message_id":"{M2}","extra_fields":{"content":"x","sender_id":1}}`), false, hInvalid, 0},
	{"modify two rooms' messages at once", hMember, ev("message.modify", `{"action":"delete","message_id":["{M2}","{M3}"]}`), false, hInvalid, 0},
	{"update two messages at once", hMember, ev("message.modify", `{"action":"update","message_id":["{M2}","{M4}"],"extra_fields":{"content":"x"}}`), false, hInvalid, 0},
	{"modify another room's message", hMember, ev("message.modify", `{"action":"delete","message_id":"{OM}"}`), false, hDenied, 0},
	{"modify with an unknown action", hMember, ev("message.modify", `{"action":"truncate","message_id":"{M2}"}`), false, hInvalid, 0},

	// message.typing.
	{"typing without room_id", hMember, ev("message.typing", `{"typing":true}`), false, hInvalid, 0},
	{"typing a string", hMember, ev("message.typing", `{"room_id":"{G}","typing":"yes"}`), false, hInvalid, 0},
	{"typing by an outsider", hOutsider, ev("message.typing", `{"room_id":"{O}"}`), false, hDenied, 0},

	// room.create.
	{"create an unknown type", hMember, ev("room.create", `{"type":"Admin","name":"x"}`), false, hInvalid, 0},
	{"create a group without a name", hMember, ev("room.create", `{"type":"GroupChat","participants":[1]}`), false, hInvalid, 0},
	{"create a group name over 64", hMember, ev("room.create", `{"type":"GroupChat","name":"`+long65+`"}`), false, hInvalid, 0},
	{"create with participants a string", hMember, ev("room.create", `{"type":"GroupChat","name":"x","participants":"all"}`), false, hInvalid, 0},
	{"create with a negative participant", hMember, ev("room.create", `{"type":"GroupChat","name":"x","participants":[-1]}`), false, hInvalid, 0},
	{"create with a participant beyond int64", hMember, ev("room.create", `{"type":"GroupChat","name":"x","participants":[1e30]}`), false, hInvalid, 0},
	{"create with max_participants 1", hMember, ev("room.create", `{"type":"GroupChat","name":"x","extra_fields":{"max_participants":1}}`), false, hInvalid, 0},
	{"create with max_participants over 100,000", hMember, ev("room.create", `{"type":"GroupChat","name":"x","extra_fields":{"max_participants":100001}}`), false, hInvalid, 0},
	{"create a 1:1 with oneself", hMember, ev("room.create", `{"type":"OneToOneChat","participants":[2]}`), false, hInvalid, 0},
	{"create a second 1:1 for a pair", hMember, ev("room.create", `{"type":"OneToOneChat","participants":[1]}`), false, hConflict, 0},

	// room.info, room.messages.
	{"info by an outsider", hOutsider, ev("room.info", `{"room_id":"{G}"}`), false, hDenied, 0},
	{"info of no room", hMember, ev("room.info", `{"room_id":"{NONE}"}`), false, hNotFound, 0},
	{"messages by an outsider", hOutsider, ev("room.messages", `{"room_id":"{O}"}`), false, hDenied, 0},
	{"messages page 0", hMember, ev("room.messages", `{"room_id":"{G}","paginate":{"page":0,"size":10}}`), false, hInvalid, 0},
	{"messages page negative", hMember, ev("room.messages", `{"room_id":"{G}","paginate":{"page":-5,"size":10}}`), false, hInvalid, 0},
	{"messages size 201", hMember, ev("room.messages", `{"room_id":"{G}","paginate":{"page":1,"size":201}}`), false, hInvalid, 0},
	{"messages before_seq and after_seq", hMember, ev("room.messages", `{"room_id":"{G}","before_seq":5,"after_seq":1}`), false, hInvalid, 0},
	{"messages after_seq negative", hMember, ev("room.messages", `{"room_id":"{G}","after_seq":-1}`), false, hInvalid, 0},
	{"messages before_seq beyond int64", hMember, ev("room.messages", `{"room_id":"{G}","before_seq":1e300}`), false, hInvalid, 0},
	{"messages limit 0", hMember, ev("room.messages", `{"room_id":"{G}","limit":0}`), false, hInvalid, 0},

	// room.join, room.leave.
	{"join a group without approval", hOutsider, ev("room.join", `{"room_id":"{O}"}`), false, hInvalid, 0},
	{"join a 1:1", hOutsider, ev("room.join", `{"room_id":"{D}"}`), false, hInvalid, 0},
	{"leave a room one is not in", hOutsider, ev("room.leave", `{"room_id":"{G}"}`), false, hDenied, 0},
	{"leave a 1:1", hMember, ev("room.leave", `{"room_id":"{D}"}`), false, hInvalid, 0},

	// room.add_members, room.remove_members.
	{"add members by an outsider", hOutsider, ev("room.add_members", `{"room_id":"{G}","members":[3]}`), false, hDenied, 0},
	{"add members without the grant", hMember, ev("room.add_members", `{"room_id":"{G}","members":[3]}`), false, hDenied, 0},
	{"add 1,001 members", hCreator, ev("room.add_members", `{"room_id":"{G}","members":`+users1001+`}`), false, hInvalid, 0},
	{"add no members", hCreator, ev("room.add_members", `{"room_id":"{G}","members":[]}`), false, hInvalid, 0},
	{"add members as strings", hCreator, ev("room.add_members", `{"room_id":"{G}","members":["3"]}`), false, hInvalid, 0},
	{"add a hMember to a 1:1", hCreator, ev("room.add_members", `{"room_id":"{D}","members":[3]}`), false, hInvalid, 0},
	{"add to another's room through its id", hMember, ev("room.add_members", `{"room_id":"{O}","members":[2]}`), false, hDenied, 0},
	{"remove the hCreator by an outsider", hOutsider, ev("room.remove_members", `{"room_id":"{G}","members":[1]}`), false, hDenied, 0},
	{"remove the hCreator by a member", hMember, ev("room.remove_members", `{"room_id":"{G}","members":[1]}`), false, hDenied, 0},

	// room.modify.
	{"rename a room by an outsider", hOutsider, ev("room.modify", `{"room_id":"{G}","action":"update","data":{"name":"mine"}}`), false, hDenied, 0},
	{"delete a room by a member", hMember, ev("room.modify", `{"room_id":"{G}","action":"delete"}`), false, hDenied, 0},
	{"rename to blank", hCreator, ev("room.modify", `{"room_id":"{G}","action":"update","data":{"name":"  "}}`), false, hInvalid, 0},
	{"a javascript: avatar by update", hCreator, ev("room.modify", `{"room_id":"{G}","action":"update","data":{"avatar":"javascript:alert(1)"}}`), false, hInvalid, 0},
	{"a data: avatar by update", hCreator, ev("room.modify", `{"room_id":"{G}","action":"update","data":{"avatar":"data:text/html,<script>alert(1)</script>"}}`), false, hInvalid, 0},
	// Findings of the security review (issue 12), each a weakness before.
	{"create with a javascript: avatar", hMember, ev("room.create", `{"type":"GroupChat","name":"x","extra_fields":{"avatar":"javascript:alert(1)"}}`), false, hInvalid, 0},
	{"messages page 2^62+1", hMember, ev("room.messages", `{"room_id":"{G}","paginate":{"page":4611686018427387905,"size":10}}`), false, hInvalid, 0},
	{"room.list with data a string", hMember, ev("room.list", `"x"`), false, hInvalid, 0},
	{"heartbeat with data a list", hMember, ev("session.heartbeat", `[1]`), false, hInvalid, 0},
	{"create with 501 participants", hMember, ev("room.create", `{"type":"GroupChat","name":"x","participants":`+users501+`}`), false, hInvalid, 0},
	{"a group setting on a channel", hCreator, ev("room.modify", `{"room_id":"{C}","action":"update","data":{"max_participants":5}}`), false, hInvalid, 0},
	{"make an hOutsider admin", hCreator, ev("room.modify", `{"room_id":"{G}","action":"add_admin","data":{"users":[3]}}`), false, hInvalid, 0},
	{"grant an unknown permission", hCreator, ev("room.modify", `{"room_id":"{G}","action":"add_permission","data":{"users":[2],"permissions":["superuser"]}}`), false, hInvalid, 0},
	{"an unknown room action", hCreator, ev("room.modify", `{"room_id":"{G}","action":"drop"}`), false, hInvalid, 0},
	{"an update with nothing to set", hCreator, ev("room.modify", `{"room_id":"{G}","action":"update","data":{}}`), false, hInvalid, 0},
	{"modify another's room through its id", hCreator, ev("room.modify", `{"room_id":"{O}","action":"delete"}`), false, hDenied, 0},

	// presence.query.
	{"presence of 501 users", hMember, ev("presence.query", `{"user_ids":`+users501+`}`), false, hInvalid, 0},
	{"presence of a negative id", hMember, ev("presence.query", `{"user_ids":[-1]}`), false, hInvalid, 0},
	{"presence of no users", hMember, ev("presence.query", `{"user_ids":[]}`), false, hInvalid, 0},
	{"presence ids as a string", hMember, ev("presence.query", `{"user_ids":"1,2"}`), false, hInvalid, 0},
}

// TestHostileInputs sends each hostile frame on a fresh connection and
// checks that it is answered with its code (or closes the connection with
// 1009), that the connection otherwise survives and gets nothing else, and
// that no rtchat table changed.
func TestHostileInputs(t *testing.T) {
	if len(hostileCases) < 60 {
		t.Fatalf("%d hostile cases, want at least 60", len(hostileCases))
	}
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		t.Parallel()
		h := newHarness(t, db)
		w := newHostileWorld(t, h)
		for _, tc := range hostileCases {
			t.Run(tc.name, func(t *testing.T) {
				c := h.dial(t, tc.actor)
				settle(t, c)
				before := tableChecksums(t, db)
				kind := websocket.TextMessage
				if tc.binary {
					kind = websocket.BinaryMessage
				}
				// The server may close the socket while an oversize frame is
				// still being written: then only the close code tells.
				if err := c.SendRaw(testCtx(t), kind, []byte(w.frame(tc.frame))); err != nil && tc.closes == 0 {
					t.Fatal(err)
				}
				if tc.closes != 0 {
					closedWith(t, tc.name, c, tc.closes)
				} else {
					// Frames are handled in order: once the heartbeat is
					// answered, the hostile frame's answer has arrived.
					barrier(t, c)
					if n := c.Pending(client.ErrorKey); n != 1 {
						t.Fatalf("%d error frames, want 1 (pending %v)", n, pendingFrames(c))
					}
					f := next(t, c, client.ErrorKey)
					if f.Error.Code != tc.code {
						t.Fatalf("code %d (detail %v), want %d", f.Error.Code, f.Error.Detail, tc.code)
					}
					p := pendingFrames(c)
					// Other members' connections of the previous cases
					// closing announce presence: that is not an answer.
					delete(p, protocol.DispatchPresence)
					if len(p) > 0 {
						t.Fatalf("also received %v", p)
					}
				}
				after := tableChecksums(t, db)
				for table, sum := range before {
					if after[table] != sum {
						t.Errorf("%s changed: %s -> %s", table, sum, after[table])
					}
				}
			})
		}
	})
}

// tableChecksums returns, for every rtchat_ table, its row count and a
// hash of its rows (in any order). A session's last_seen and
// disconnected_at are left out: they move as connections come and go.
func tableChecksums(t testing.TB, db *bun.DB) map[string]string {
	t.Helper()
	ctx := testCtx(t)
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'rtchat\_%' ESCAPE '\'`
	if db.Dialect().Name() == dialect.PG {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE 'rtchat\_%' ESCAPE '\'`
	}
	var tables []string
	if err := db.NewRaw(q).Scan(ctx, &tables); err != nil {
		t.Fatalf("list tables: %v", err)
	}
	if len(tables) < 10 {
		t.Fatalf("found only the tables %v", tables)
	}
	out := make(map[string]string, len(tables))
	for _, table := range tables {
		rows, err := db.DB.QueryContext(ctx, "SELECT * FROM "+table)
		if err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		out[table] = rowsChecksum(t, table, rows)
	}
	return out
}

func rowsChecksum(t testing.TB, table string, rows *sql.Rows) string {
	t.Helper()
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("scan %s: %v", table, err)
		}
		var b strings.Builder
		for i, col := range cols {
			if table == "rtchat_sessions" && (col == "last_seen" || col == "disconnected_at") {
				continue
			}
			v := vals[i]
			if raw, ok := v.([]byte); ok {
				v = string(raw)
			}
			fmt.Fprintf(&b, "%s=%v;", col, v)
		}
		lines = append(lines, b.String())
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	slices.Sort(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return fmt.Sprintf("%d rows %s", len(lines), hex.EncodeToString(sum[:8]))
}
