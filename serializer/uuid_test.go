package serializer_test

import (
	"encoding/json"
	"testing"

	"github.com/rtchat/rtchat/serializer"
)

func TestCanonicalUUID(t *testing.T) {
	const id = "6f1c3a52-0a1b-4c2d-8e3f-0123456789ab"
	for in, want := range map[string]string{
		id:                                     id,
		"6F1C3A52-0A1B-4C2D-8E3F-0123456789AB": id,
		"6f1C3a52-0A1b-4c2D-8e3F-0123456789aB": id,
		"6f1c3a520a1b4c2d8e3f0123456789ab":     "",
		"{" + id + "}":                         "",
		"urn:uuid:" + id:                       "",
		id + " ":                               "",
		"6f1c3a52-0a1b-4c2d-8e3f-0123456789ag": "",
		"6f1c3a52+0a1b-4c2d-8e3f-0123456789ab": "",
		"":                                     "",
	} {
		got, ok := serializer.CanonicalUUID(in)
		if got != want || ok != (want != "") {
			t.Errorf("CanonicalUUID(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

// TestDecodeLowersUUIDFields: Decode lower-cases every field with a uuid
// check, nested and in lists, and nothing else.
func TestDecodeLowersUUIDFields(t *testing.T) {
	type inner struct {
		ID   string `json:"id" validate:"omitempty,uuid"`
		Name string `json:"name"`
	}
	type input struct {
		RoomID  string   `json:"room_id" validate:"required,uuid"`
		Parent  *string  `json:"parent" validate:"omitempty,uuid"`
		IDs     []string `json:"ids" validate:"dive,uuid"`
		Name    string   `json:"name"`
		Nested  inner    `json:"nested"`
		List    []inner  `json:"list" validate:"dive"`
		Pointer *inner   `json:"pointer"`
	}
	const up, low = "6F1C3A52-0A1B-4C2D-8E3F-0123456789AB", "6f1c3a52-0a1b-4c2d-8e3f-0123456789ab"
	data := `{"room_id":"` + up + `","parent":"` + up + `","ids":["` + up + `"],"name":"KEEP",` +
		`"nested":{"id":"` + up + `","name":"KEEP"},"list":[{"id":"` + up + `"}],"pointer":{"id":"` + up + `"}}`
	var got input
	if err := serializer.Decode(json.RawMessage(data), &got); err != nil {
		t.Fatal(err)
	}
	if got.RoomID != low || *got.Parent != low || got.IDs[0] != low || got.Nested.ID != low || got.List[0].ID != low || got.Pointer.ID != low {
		t.Fatalf("ids not lower-cased: %+v", got)
	}
	if got.Name != "KEEP" || got.Nested.Name != "KEEP" {
		t.Fatalf("a field without a uuid check changed: %+v", got)
	}
	var bad input
	err := serializer.Decode(json.RawMessage(`{"room_id":"6f1c3a520a1b4c2d8e3f0123456789ab"}`), &bad)
	if fields := fieldErrors(t, err); fields["room_id"] == nil {
		t.Fatalf("a hyphen-less id: %v, want a room_id error", err)
	}
}
