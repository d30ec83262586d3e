package serializer_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/serializer"
)

func TestMessageWithFieldsAddsKeys(t *testing.T) {
	for name, tc := range map[string]struct {
		base any
		want string
	}{
		"after the base's keys": {map[string]any{"id": "m1"}, `{"id":"m1","priority":null,"is_pinned":null}`},
		"into an empty object":  {struct{}{}, `{"priority":null,"is_pinned":null}`},
	} {
		t.Run(name, func(t *testing.T) {
			base := serializer.Func(func(context.Context, any, serializer.Users) (any, error) { return tc.base, nil })
			s := serializer.MessageWithFields(base, "priority", "is_pinned")
			out, err := s.Serialize(context.Background(), &model.Message{ID: "m1"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(out)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Fatalf("got %s, want %s", b, tc.want)
			}
			if got := s.(serializer.ExtraFielder).ExtraFields(); len(got) != 2 || got[0] != "priority" {
				t.Fatalf("ExtraFields = %v", got)
			}
		})
	}
	notObject := serializer.MessageWithFields(serializer.Func(func(context.Context, any, serializer.Users) (any, error) { return 3, nil }), "x")
	out, _ := notObject.Serialize(context.Background(), &model.Message{}, nil)
	if _, err := json.Marshal(out); err == nil {
		t.Fatal("a base that is no object marshalled")
	}
}

func TestDefaultRendersThroughTheRunningSet(t *testing.T) {
	set := serializer.NewSet()
	if err := set.Replace(serializer.NameUser, serializer.Func(func(_ context.Context, v any, _ serializer.Users) (any, error) {
		return "user-" + string(rune('0'+v.(int64))), nil
	})); err != nil {
		t.Fatal(err)
	}
	if err := set.Replace(serializer.NameMessage, serializer.Default(serializer.NameMessage)); err != nil {
		t.Fatal(err)
	}
	out, err := set.Serialize(context.Background(), serializer.NameMessage, &model.Message{SenderID: 7}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := out.(*serializer.MessageOut).Sender; got != "user-7" {
		t.Fatalf("sender rendered as %v, want the set's User serializer", got)
	}
	if serializer.Default("Banana") != nil {
		t.Fatal("Default of an unknown name is not nil")
	}
}
