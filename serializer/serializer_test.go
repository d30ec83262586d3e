package serializer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
)

type extraFields struct {
	ParentMessageID string `json:"parent_message_id" validate:"omitempty,uuid"`
}

// sendData is a payload shaped like the handlers' requests.
type sendData struct {
	RoomID   string      `json:"room_id" validate:"required,uuid"`
	Content  string      `json:"content" validate:"required,max=10"`
	Limit    int         `json:"limit" validate:"omitempty,min=1,max=200"`
	Type     string      `json:"type" validate:"omitempty,oneof=add remove"`
	Members  []int64     `json:"members" validate:"omitempty,max=2"`
	Extra    extraFields `json:"extra_fields"`
	Internal string      `json:"-" validate:"omitempty,max=1"`
}

const roomUUID = "0b6f7c52-3a9e-4f0e-9a51-2f4b8c1d2e3f"

// fieldErrors asserts that err is a 4003 *protocol.Error and returns its
// field errors.
func fieldErrors(t testing.TB, err error) protocol.FieldErrors {
	t.Helper()
	if err == nil {
		t.Fatal("got nil error, want a 4003 *protocol.Error")
	}
	var pe *protocol.Error
	if !errors.As(err, &pe) {
		t.Fatalf("got %T %v, want *protocol.Error", err, err)
	}
	if pe.Code != 4003 {
		t.Fatalf("code = %d, want 4003", pe.Code)
	}
	fe, ok := pe.Detail.(protocol.FieldErrors)
	if !ok {
		t.Fatalf("detail is %T %v, want protocol.FieldErrors", pe.Detail, pe.Detail)
	}
	return fe
}

func TestDecode(t *testing.T) {
	required := protocol.FieldErrors{"room_id": {"This field is required."}, "content": {"This field is required."}}
	notObject := protocol.FieldErrors{"data": {"must be a JSON object"}}
	tests := []struct {
		name string
		data string
		want protocol.FieldErrors
	}{
		{"missing required fields are listed by JSON name", `{}`, required},
		{"null data counts as {}", `null`, required},
		{"absent data counts as {}", ``, required},
		{"null data with spaces counts as {}", "  null \n", required},
		{"number for a string", `{"room_id": 5, "content": "x"}`, protocol.FieldErrors{"room_id": {"Expected a string, got number."}}},
		{"string for an integer", `{"room_id": "` + roomUUID + `", "content": "x", "limit": "5"}`, protocol.FieldErrors{"limit": {"Expected an integer, got string."}}},
		{"object for a list", `{"room_id": "` + roomUUID + `", "content": "x", "members": {}}`, protocol.FieldErrors{"members": {"Expected a list, got object."}}},
		{"boolean for a string", `{"room_id": true, "content": "x"}`, protocol.FieldErrors{"room_id": {"Expected a string, got bool."}}},
		{"wrong type in a nested object is named by its path", `{"room_id": "` + roomUUID + `", "content": "x", "extra_fields": {"parent_message_id": 1}}`, protocol.FieldErrors{"extra_fields.parent_message_id": {"Expected a string, got number."}}},
		{"too long string", `{"room_id": "` + roomUUID + `", "content": "12345678901"}`, protocol.FieldErrors{"content": {"Ensure this field has no more than 10 characters."}}},
		{"too many elements", `{"room_id": "` + roomUUID + `", "content": "x", "members": [1, 2, 3]}`, protocol.FieldErrors{"members": {"Ensure this field has no more than 2 elements."}}},
		{"number too large", `{"room_id": "` + roomUUID + `", "content": "x", "limit": 201}`, protocol.FieldErrors{"limit": {"Ensure this value is less than or equal to 200."}}},
		{"number too small", `{"room_id": "` + roomUUID + `", "content": "x", "limit": -1}`, protocol.FieldErrors{"limit": {"Ensure this value is greater than or equal to 1."}}},
		{"not a UUID", `{"room_id": "room-1", "content": "x"}`, protocol.FieldErrors{"room_id": {"Must be a valid UUID."}}},
		{"not one of the choices", `{"room_id": "` + roomUUID + `", "content": "x", "type": "zap"}`, protocol.FieldErrors{"type": {"Must be one of: add remove."}}},
		{"nested validation error is named by its path", `{"room_id": "` + roomUUID + `", "content": "x", "extra_fields": {"parent_message_id": "nope"}}`, protocol.FieldErrors{"extra_fields.parent_message_id": {"Must be a valid UUID."}}},
		{"several failures at once", `{"room_id": "nope", "content": "12345678901"}`, protocol.FieldErrors{"room_id": {"Must be a valid UUID."}, "content": {"Ensure this field has no more than 10 characters."}}},
		{"a list is not an object", `[1, 2]`, notObject},
		{"a string is not an object", `"hello"`, notObject},
		{"a number is not an object", `42`, notObject},
		{"true is not an object", `true`, notObject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var dst sendData
			got := fieldErrors(t, serializer.Decode(json.RawMessage(tt.data), &dst))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("detail = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDecodeMalformedJSON(t *testing.T) {
	var dst sendData
	got := fieldErrors(t, serializer.Decode(json.RawMessage(`{"room_id": `), &dst))
	if len(got) != 1 || len(got["data"]) != 1 || !strings.HasPrefix(got["data"][0], "Invalid JSON: ") {
		t.Errorf("detail = %v, want one data message starting with %q", got, "Invalid JSON: ")
	}
}

func TestDecodeValid(t *testing.T) {
	var dst sendData
	data := `{"room_id": "` + roomUUID + `", "content": "hi", "members": [7], "unknown": 1, "extra_fields": {"parent_message_id": "` + roomUUID + `"}}`
	if err := serializer.Decode(json.RawMessage(data), &dst); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	want := sendData{RoomID: roomUUID, Content: "hi", Members: []int64{7}, Extra: extraFields{ParentMessageID: roomUUID}}
	if !reflect.DeepEqual(dst, want) {
		t.Errorf("got %+v, want %+v", dst, want)
	}
}

func TestValidationErrorMarshalsAsFieldMap(t *testing.T) {
	var dst sendData
	err := serializer.Decode(json.RawMessage(`{"room_id": "x", "content": "ok"}`), &dst)
	b, mErr := json.Marshal(err)
	if mErr != nil {
		t.Fatal(mErr)
	}
	if want := `{"code":4003,"detail":{"room_id":["Must be a valid UUID."]}}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}

func TestValidate(t *testing.T) {
	t.Run("valid struct", func(t *testing.T) {
		if err := serializer.Validate(&sendData{RoomID: roomUUID, Content: "x"}); err != nil {
			t.Errorf("Validate: %v", err)
		}
	})
	t.Run("invalid struct lists JSON names", func(t *testing.T) {
		got := fieldErrors(t, serializer.Validate(&sendData{Content: "far too long"}))
		want := protocol.FieldErrors{"room_id": {"This field is required."}, "content": {"Ensure this field has no more than 10 characters."}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("detail = %v, want %v", got, want)
		}
	})
	t.Run("not a struct is a data error", func(t *testing.T) {
		got := fieldErrors(t, serializer.Validate(42))
		if len(got) != 1 || len(got["data"]) != 1 {
			t.Errorf("detail = %v, want one data message", got)
		}
	})
}

// keys returns the sorted keys of a JSON object.
func keys(t testing.TB, raw []byte) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not a JSON object: %s: %v", raw, err)
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sorted(ks ...string) []string {
	out := slices.Clone(ks)
	sort.Strings(out)
	return out
}

func marshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %T: %v", v, err)
	}
	return b
}

// object returns the JSON object at key of raw.
func object(t testing.TB, raw []byte, key string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not a JSON object: %s: %v", raw, err)
	}
	v, ok := m[key]
	if !ok {
		t.Fatalf("no key %q in %s", key, raw)
	}
	return v
}

func assertKeys(t testing.TB, what string, raw []byte, want ...string) {
	t.Helper()
	if got := keys(t, raw); !slices.Equal(got, sorted(want...)) {
		t.Errorf("%s keys = %v, want %v\n%s", what, got, sorted(want...), raw)
	}
}

var knownUsers = map[int64]serializer.User{
	1: {Username: "alice", Email: "alice@example.com", FirstName: "Alice", LastName: "A"},
	2: {Username: "bob", Email: "bob@example.com", FirstName: "Bob", LastName: "B"},
	5: {Email: "nameless@example.com"},
}

// lookup is an app's UserLookup that knows knownUsers and records its calls.
func lookup(calls *[][]int64) serializer.UserLookup {
	return func(_ context.Context, ids []int64) (map[int64]serializer.User, error) {
		*calls = append(*calls, slices.Clone(ids))
		out := map[int64]serializer.User{}
		for _, id := range ids {
			if u, ok := knownUsers[id]; ok {
				out[id] = u
			}
		}
		return out, nil
	}
}

func TestUsers(t *testing.T) {
	ctx := context.Background()
	var calls [][]int64
	us, err := serializer.Resolve(ctx, lookup(&calls), []int64{1, 2, 1, 3, 5, 2})
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]int64{{1, 2, 3, 5}}; !reflect.DeepEqual(calls, want) {
		t.Errorf("lookup calls = %v, want one call with each id once %v", calls, want)
	}
	tests := []struct {
		name string
		us   serializer.Users
		id   int64
		want string
	}{
		{"default user without a lookup has only id and username", serializer.Users{}, 9, `{"id":9,"username":"9"}`},
		{"default user of a nil Users has only id and username", nil, 10, `{"id":10,"username":"10"}`},
		{"user the lookup does not know has only id and username", us, 3, `{"id":3,"username":"3"}`},
		{"user the lookup returns has all five keys", us, 1, `{"id":1,"username":"alice","email":"alice@example.com","first_name":"Alice","last_name":"A"}`},
		{"user the lookup returns without a username gets the id as username", us, 5, `{"id":5,"username":"5","email":"nameless@example.com","first_name":"","last_name":""}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(marshal(t, tt.us.Get(tt.id))); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestResolveWithoutLookup(t *testing.T) {
	us, err := serializer.Resolve(context.Background(), nil, []int64{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	assertKeys(t, "user", marshal(t, us.Get(1)), "id", "username")
}

func TestResolveLookupError(t *testing.T) {
	boom := errors.New("boom")
	_, err := serializer.Resolve(context.Background(), func(context.Context, []int64) (map[int64]serializer.User, error) { return nil, boom }, []int64{1})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want %v", err, boom)
	}
}

var (
	t0          = time.Date(2026, 11, 25, 10, 0, 0, 123456000, time.UTC)
	messageKeys = []string{"id", "room", "sender", "content", "created_at", "updated_at", "is_edited", "is_deleted",
		"is_forwarded", "forwarded_from", "parent_message", "delivered_to", "read_receipts", "reactions", "attachments",
		"seq", "client_msg_id", "thread_root_id", "thread_reply_count", "thread_last_reply_at"}
)

func ptr[T any](v T) *T { return &v }

// threeLevels returns a message whose parent has a parent and a forward of
// its own, with every relation filled in.
func threeLevels() *model.Message {
	grand := &model.Message{ID: "m0", RoomID: "r1", SenderID: 2, Seq: 1, Content: "root", CreatedAt: t0, UpdatedAt: t0}
	parent := &model.Message{ID: "m1", RoomID: "r1", SenderID: 2, Seq: 2, Content: "parent", CreatedAt: t0, UpdatedAt: t0,
		ParentMessageID: ptr("m0"), ParentMessage: grand, ForwardedFromID: ptr("m0"), ForwardedFrom: grand}
	return &model.Message{
		ID: "m2", RoomID: "r1", SenderID: 1, Seq: 3, ClientMsgID: ptr("c-1"), Content: "<b>hi</b>",
		CreatedAt: t0, UpdatedAt: t0.Add(time.Second), IsEdited: true,
		ParentMessageID: ptr("m1"), ParentMessage: parent,
		DeliveredTo:  []int64{2, 3},
		ReadReceipts: []*model.ReadReceipt{{ID: "rr1", MessageID: "m2", ReaderID: 2, ReadAt: t0}},
		Reactions:    []*model.Reaction{{ID: "rx1", MessageID: "m2", UserID: 3, ReactionContent: "👍", CreatedAt: t0}},
		Attachments: []*model.Attachment{
			{ID: "a1", MessageID: "m2", MediaURL: "https://cdn/x.png", MediaType: "image", MimeType: "image/png", FileSize: 10, Caption: "c", CreatedAt: t0},
			{ID: "a2", MessageID: "m2", MediaURL: "https://cdn/y.pdf", MediaType: "file", MimeType: "application/pdf", Metadata: map[string]any{"pages": 2}, CreatedAt: t0},
		},
	}
}

func TestMessage(t *testing.T) {
	ctx := context.Background()
	m := threeLevels()
	var calls [][]int64
	us, err := serializer.Resolve(ctx, lookup(&calls), m.UserIDs())
	if err != nil {
		t.Fatal(err)
	}
	raw := marshal(t, serializer.Message(m, us))
	assertKeys(t, "message", raw, messageKeys...)

	var got struct {
		Room          map[string]any    `json:"room"`
		Sender        json.RawMessage   `json:"sender"`
		Content       string            `json:"content"`
		CreatedAt     time.Time         `json:"created_at"`
		Seq           int64             `json:"seq"`
		ClientMsgID   *string           `json:"client_msg_id"`
		IsEdited      bool              `json:"is_edited"`
		ForwardedFrom json.RawMessage   `json:"forwarded_from"`
		ParentMessage json.RawMessage   `json:"parent_message"`
		DeliveredTo   []string          `json:"delivered_to"`
		ReadReceipts  []json.RawMessage `json:"read_receipts"`
		Reactions     []json.RawMessage `json:"reactions"`
		Attachments   []json.RawMessage `json:"attachments"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Room, map[string]any{"id": "r1"}) {
		t.Errorf("room = %v, want {id: r1}", got.Room)
	}
	assertKeys(t, "sender", got.Sender, "id", "username", "email", "first_name", "last_name")
	if got.Content != "<b>hi</b>" || got.Seq != 3 || got.ClientMsgID == nil || *got.ClientMsgID != "c-1" || !got.IsEdited || !got.CreatedAt.Equal(t0) {
		t.Errorf("scalar fields wrong: %s", raw)
	}
	if string(got.ForwardedFrom) != "null" {
		t.Errorf("forwarded_from = %s, want null", got.ForwardedFrom)
	}
	if want := []string{"bob", "3"}; !slices.Equal(got.DeliveredTo, want) {
		t.Errorf("delivered_to = %v, want usernames %v", got.DeliveredTo, want)
	}
	if len(got.ReadReceipts) != 1 || len(got.Reactions) != 1 || len(got.Attachments) != 2 {
		t.Fatalf("relation counts wrong: %s", raw)
	}
	assertKeys(t, "read receipt", got.ReadReceipts[0], "reader", "read_at")
	assertKeys(t, "reader", object(t, got.ReadReceipts[0], "reader"), "id", "username", "email", "first_name", "last_name")
	assertKeys(t, "reaction", got.Reactions[0], "id", "user", "reaction_content", "created_at")
	assertKeys(t, "reaction user", object(t, got.Reactions[0], "user"), "id", "username")
	for _, a := range got.Attachments {
		assertKeys(t, "attachment", a, "id", "media_url", "media_type", "mime_type", "file_size", "metadata", "caption")
	}
	if md := string(object(t, got.Attachments[0], "metadata")); md != "{}" {
		t.Errorf("nil metadata = %s, want {}", md)
	}
	if md := string(object(t, got.Attachments[1], "metadata")); md != `{"pages":2}` {
		t.Errorf("metadata = %s, want {\"pages\":2}", md)
	}

	// The parent is one level deep: its own parent and forward are null
	// although the model has them.
	assertKeys(t, "parent_message", got.ParentMessage, messageKeys...)
	for _, k := range []string{"parent_message", "forwarded_from"} {
		if v := string(object(t, got.ParentMessage, k)); v != "null" {
			t.Errorf("parent_message.%s = %s, want null", k, v)
		}
	}
	if v := string(object(t, got.ParentMessage, "content")); v != `"parent"` {
		t.Errorf("parent_message.content = %s", v)
	}
}

func TestMessageEmptyRelationsAreLists(t *testing.T) {
	m := &model.Message{ID: "m1", RoomID: "r1", SenderID: 1, Seq: 1, CreatedAt: t0, UpdatedAt: t0}
	raw := marshal(t, serializer.Message(m, nil))
	for _, k := range []string{"delivered_to", "read_receipts", "reactions", "attachments"} {
		if v := string(object(t, raw, k)); v != "[]" {
			t.Errorf("%s = %s, want []", k, v)
		}
	}
	for _, k := range []string{"parent_message", "forwarded_from", "client_msg_id"} {
		if v := string(object(t, raw, k)); v != "null" {
			t.Errorf("%s = %s, want null", k, v)
		}
	}
}

func TestMessageForwardedOneLevel(t *testing.T) {
	m := threeLevels()
	m.ParentMessage, m.ParentMessageID = nil, nil
	m.IsForwarded, m.ForwardedFromID, m.ForwardedFrom = true, ptr("m1"), threeLevels().ParentMessage
	raw := marshal(t, serializer.Message(m, nil))
	fwd := object(t, raw, "forwarded_from")
	assertKeys(t, "forwarded_from", fwd, messageKeys...)
	for _, k := range []string{"parent_message", "forwarded_from"} {
		if v := string(object(t, fwd, k)); v != "null" {
			t.Errorf("forwarded_from.%s = %s, want null", k, v)
		}
	}
}

func TestNotification(t *testing.T) {
	n := &model.Notification{ID: "n1", MessageID: "m2", NotificationType: model.NotifyReply, Message: threeLevels()}
	raw := marshal(t, serializer.Notification(n, nil))
	assertKeys(t, "notification", raw, "id", "notification_type", "message")
	assertKeys(t, "notification message", object(t, raw, "message"), messageKeys...)
}

func rooms() map[string]*model.Room {
	creator := int64(1)
	base := func(id, typ string) *model.Room {
		return &model.Room{ID: id, Type: typ, CreatedAt: t0, UpdatedAt: t0, LastActivityAt: t0, LastSeq: 7}
	}
	one := base("r-1to1", model.TypeOneToOne)
	one.PairKey = ptr(model.PairKey(1, 2))
	group := base("r-group", model.TypeGroup)
	group.Name, group.CreatorID, group.MaxParticipants = "g", &creator, 100
	group.Property = model.RoomProperty{Preferences: map[string]any{"color": "blue"}}
	channel := base("r-channel", model.TypeChannel)
	channel.Name, channel.CreatorID, channel.MaxSubscribers, channel.IsPublic = "c", &creator, 300, true
	return map[string]*model.Room{model.TypeOneToOne: one, model.TypeGroup: group, model.TypeChannel: channel}
}

func TestRoomDetail(t *testing.T) {
	common := []string{"id", "type", "created_at", "updated_at", "property", "last_seq"}
	tests := []struct {
		typ, adminRole string
		want           []string
		memberKey      string
		adminKey       string
	}{
		{model.TypeOneToOne, model.RoleMember, append(slices.Clone(common), "participants"), "participants", ""},
		{model.TypeGroup, model.RoleAdmin, append(slices.Clone(common), "name", "description", "avatar", "creator", "participants",
			"admins", "max_participants", "join_approval_required", "group_locked"), "participants", "admins"},
		{model.TypeChannel, model.RoleModerator, append(slices.Clone(common), "name", "description", "avatar", "creator", "subscribers",
			"moderators", "is_public", "max_subscribers"), "subscribers", "moderators"},
	}
	for _, tt := range tests {
		t.Run(tt.typ+" has its own keys", func(t *testing.T) {
			r := rooms()[tt.typ]
			members := []*model.Member{
				model.NewMember(r.ID, 1, tt.adminRole, t0),
				model.NewMember(r.ID, 2, model.RoleMember, t0),
			}
			raw := marshal(t, serializer.RoomDetail(serializer.RoomInput{Room: r, Members: members}, nil))
			assertKeys(t, "room detail", raw, tt.want...)
			var users []map[string]any
			if err := json.Unmarshal(object(t, raw, tt.memberKey), &users); err != nil || len(users) != 2 {
				t.Errorf("%s = %s, want two users", tt.memberKey, object(t, raw, tt.memberKey))
			}
			if tt.adminKey != "" {
				if got := string(object(t, raw, tt.adminKey)); got != `[{"id":1,"username":"1"}]` {
					t.Errorf("%s = %s, want the creator only", tt.adminKey, got)
				}
				if got := string(object(t, raw, "creator")); got != `{"id":1,"username":"1"}` {
					t.Errorf("creator = %s", got)
				}
			}
			prefs := `{"preferences":{}}`
			if tt.typ == model.TypeGroup {
				prefs = `{"preferences":{"color":"blue"}}`
			}
			if got := string(object(t, raw, "property")); got != prefs {
				t.Errorf("property = %s, want %s", got, prefs)
			}
			if got := string(object(t, raw, "last_seq")); got != "7" {
				t.Errorf("last_seq = %s, want 7", got)
			}
		})
	}
}

func TestRoomListItem(t *testing.T) {
	common := []string{"id", "type", "created_at", "updated_at", "last_seq", "last_message", "unread_count", "last_read_seq"}
	last := &model.Message{ID: "m7", RoomID: "x", SenderID: 2, Seq: 7, CreatedAt: t0, UpdatedAt: t0}
	tests := []struct {
		name string
		typ  string
		want []string
	}{
		{"1:1 has peer and no creator", model.TypeOneToOne, append(slices.Clone(common), "peer")},
		{"group has creator and its settings", model.TypeGroup, append(slices.Clone(common), "name", "description", "avatar", "creator",
			"max_participants", "join_approval_required", "group_locked")},
		{"channel has creator and its settings", model.TypeChannel, append(slices.Clone(common), "name", "description", "avatar", "creator",
			"is_public", "max_subscribers")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rooms()[tt.typ]
			in := model.RoomListEntry{Room: r, Member: &model.Member{RoomID: r.ID, UserID: 1, LastReadSeq: 3}, LastMessage: last}
			if tt.typ == model.TypeOneToOne {
				in.Peer = 2
			}
			raw := marshal(t, serializer.RoomListItem(in, nil))
			assertKeys(t, "room list item", raw, tt.want...)
			for _, k := range []string{"participants", "subscribers", "admins", "moderators", "property"} {
				if _, ok := slices.BinarySearch(keys(t, raw), k); ok {
					t.Errorf("room list item has %q", k)
				}
			}
			assertKeys(t, "last_message", object(t, raw, "last_message"), messageKeys...)
			for k, want := range map[string]string{"last_seq": "7", "last_read_seq": "3", "unread_count": "4"} {
				if got := string(object(t, raw, k)); got != want {
					t.Errorf("%s = %s, want %s", k, got, want)
				}
			}
			if tt.typ == model.TypeOneToOne {
				if got := string(object(t, raw, "peer")); got != `{"id":2,"username":"2"}` {
					t.Errorf("peer = %s", got)
				}
			} else if got := string(object(t, raw, "creator")); got != `{"id":1,"username":"1"}` {
				t.Errorf("creator = %s", got)
			}
		})
	}
}

func TestRoomListItemEmptyRoom(t *testing.T) {
	r := rooms()[model.TypeOneToOne]
	raw := marshal(t, serializer.RoomListItem(model.RoomListEntry{Room: r}, nil))
	for k, want := range map[string]string{"last_message": "null", "peer": "null", "last_read_seq": "0", "unread_count": "7"} {
		if got := string(object(t, raw, k)); got != want {
			t.Errorf("%s = %s, want %s", k, got, want)
		}
	}
}

func TestSetReplace(t *testing.T) {
	ctx := context.Background()
	t.Run("unknown name is an error", func(t *testing.T) {
		s := serializer.NewSet()
		err := s.Replace("Mesage", serializer.Func(func(context.Context, any, serializer.Users) (any, error) { return nil, nil }))
		if err == nil {
			t.Fatal("Replace of an unknown name succeeded")
		}
		if serializer.Names("Mesage") {
			t.Error(`Names("Mesage") = true`)
		}
	})
	t.Run("nil serializer is an error", func(t *testing.T) {
		if err := serializer.NewSet().Replace(serializer.NameMessage, nil); err == nil {
			t.Fatal("Replace with nil succeeded")
		}
	})
	t.Run("every documented name can be replaced", func(t *testing.T) {
		for _, name := range []string{serializer.NameUser, serializer.NameMessage, serializer.NameRoom, serializer.NameRoomListItem,
			serializer.NameReaction, serializer.NameReadReceipt, serializer.NameAttachment, serializer.NameNotification, serializer.NameSession} {
			if !serializer.Names(name) {
				t.Errorf("Names(%q) = false", name)
			}
		}
	})
	t.Run("replaced serializer is used", func(t *testing.T) {
		s := serializer.NewSet()
		var seen any
		custom := serializer.Func(func(_ context.Context, v any, us serializer.Users) (any, error) {
			seen = v
			m := v.(*model.Message)
			return map[string]any{"id": m.ID, "by": us.Get(m.SenderID).Username}, nil
		})
		if err := s.Replace(serializer.NameMessage, custom); err != nil {
			t.Fatal(err)
		}
		m := &model.Message{ID: "m1", SenderID: 4}
		out, err := s.Serialize(ctx, serializer.NameMessage, m, nil)
		if err != nil {
			t.Fatal(err)
		}
		if seen != m {
			t.Errorf("custom serializer got %v, want the message", seen)
		}
		if got := string(marshal(t, out)); got != `{"by":"4","id":"m1"}` {
			t.Errorf("got %s", got)
		}
		// Another set keeps the default.
		out, err = serializer.NewSet().Serialize(ctx, serializer.NameMessage, m, nil)
		if err != nil {
			t.Fatal(err)
		}
		assertKeys(t, "default message", marshal(t, out), messageKeys...)
	})
	t.Run("default serializer refuses a wrong value", func(t *testing.T) {
		if _, err := serializer.NewSet().Serialize(ctx, serializer.NameMessage, "not a message", nil); err == nil {
			t.Error("Serialize of a string as a Message succeeded")
		}
	})
	t.Run("unknown name in Serialize is an error", func(t *testing.T) {
		if _, err := serializer.NewSet().Serialize(ctx, "Nope", 1, nil); err == nil {
			t.Error("Serialize with an unknown name succeeded")
		}
	})
}

func TestSetDefaults(t *testing.T) {
	ctx := context.Background()
	s := serializer.NewSet()
	r := rooms()[model.TypeGroup]
	disc := t0.Add(time.Minute)
	tests := []struct {
		name string
		v    any
		want []string
	}{
		{"User", int64(3), []string{"id", "username"}},
		{"Message", threeLevels(), messageKeys},
		{"Room", serializer.RoomInput{Room: r}, []string{"id", "type", "created_at", "updated_at", "property", "last_seq", "name", "description",
			"avatar", "creator", "participants", "admins", "max_participants", "join_approval_required", "group_locked"}},
		{"RoomListItem", model.RoomListEntry{Room: r}, []string{"id", "type", "created_at", "updated_at", "last_seq", "name", "description", "avatar",
			"creator", "max_participants", "join_approval_required", "group_locked", "last_message", "unread_count", "last_read_seq"}},
		{"Reaction", &model.Reaction{ID: "x", UserID: 1}, []string{"id", "user", "reaction_content", "created_at"}},
		{"ReadReceipt", &model.ReadReceipt{ReaderID: 1}, []string{"reader", "read_at"}},
		{"Attachment", &model.Attachment{ID: "a"}, []string{"id", "media_url", "media_type", "mime_type", "file_size", "metadata", "caption"}},
		{"Notification", &model.Notification{ID: "n", Message: threeLevels()}, []string{"id", "notification_type", "message"}},
		{"Session", &model.Session{ID: "s", UserID: 1, DisconnectedAt: &disc}, []string{"id", "user_id", "connected_at", "last_seen", "disconnected_at"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := s.Serialize(ctx, tt.name, tt.v, nil)
			if err != nil {
				t.Fatal(err)
			}
			assertKeys(t, tt.name, marshal(t, out), tt.want...)
		})
	}
}

// A replaced User serializer renders every user of every shape: senders,
// readers, reactors, members, nested messages and notifications.
func TestReplacedUserShowsEverywhere(t *testing.T) {
	set := serializer.NewSet()
	err := set.Replace(serializer.NameUser, serializer.Func(func(_ context.Context, v any, _ serializer.Users) (any, error) {
		return map[string]any{"handle": fmt.Sprint("@", v.(int64))}, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	parent := &model.Message{ID: "p", RoomID: "r", SenderID: 3, CreatedAt: now}
	m := &model.Message{ID: "m", RoomID: "r", SenderID: 1, CreatedAt: now, ParentMessage: parent,
		Reactions:    []*model.Reaction{{ID: "x", UserID: 2, ReactionContent: "👍"}},
		ReadReceipts: []*model.ReadReceipt{{ID: "rr", ReaderID: 4}}}
	n := &model.Notification{ID: "n", NotificationType: model.NotifyReply, Message: m}
	out, err := set.Serialize(context.Background(), serializer.NameNotification, n, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(out)
	for _, want := range []string{`"sender":{"handle":"@1"}`, `"user":{"handle":"@2"}`, `"sender":{"handle":"@3"}`, `"reader":{"handle":"@4"}`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("notification %s lacks %s", raw, want)
		}
	}
	room, err := set.Serialize(context.Background(), serializer.NameRoom, serializer.RoomInput{
		Room:    &model.Room{ID: "r", Type: model.TypeGroup, CreatorID: ptr(int64(1))},
		Members: []*model.Member{{UserID: 1, Role: model.RoleAdmin}, {UserID: 5, Role: model.RoleMember}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ = json.Marshal(room)
	for _, want := range []string{`"creator":{"handle":"@1"}`, `{"handle":"@5"}`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("room %s lacks %s", raw, want)
		}
	}
}
