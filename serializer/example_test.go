package serializer_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rtchat/rtchat/serializer"
)

// An app adds a field to messagetyping.dispatch by wrapping the default and
// embedding its result; the other fields stay as rtchat writes them. Pass
// the serializer to rtchat.WithSerializer(serializer.NameTyping, typing).
func ExampleTyping() {
	typing := serializer.Func(func(_ context.Context, v any, us serializer.Users) (any, error) {
		in, ok := v.(serializer.TypingInput)
		if !ok {
			return nil, fmt.Errorf("typing: got %T", v)
		}
		return struct {
			serializer.TypingOut
			DisplayName string `json:"display_name"`
		}{serializer.Typing(in, us), "Ann the Admin"}, nil
	})

	set := serializer.NewSet()
	if err := set.Replace(serializer.NameTyping, typing); err != nil {
		panic(err)
	}
	users := serializer.Users{7: {ID: 7, Username: "ann"}}
	data, err := set.Serialize(context.Background(), serializer.NameTyping,
		serializer.TypingInput{RoomID: "4b1f7c0e-0000-4000-8000-000000000001", UserID: 7, Typing: true}, users)
	if err != nil {
		panic(err)
	}
	b, _ := json.Marshal(data)
	fmt.Println(string(b))
	// Output:
	// {"room_id":"4b1f7c0e-0000-4000-8000-000000000001","typing":true,"user_id":7,"username":"ann","display_name":"Ann the Admin"}
}
