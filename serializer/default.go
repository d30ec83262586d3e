package serializer

import (
	"context"
	"sync"
)

// defaults is the set of built-in serializers Default hands out.
var defaults = sync.OnceValue(NewSet)

// Default returns the built-in serializer of name (see the Name constants),
// or nil for an unknown name. Run by a Set, it renders the shapes it nests
// (users, reactions, parent messages, ...) through that set, so an app's
// serializer that wraps it keeps the app's other replacements:
//
//	base := serializer.Default(serializer.NameMessage)
//	rtchat.WithSerializer("Message", serializer.Func(func(ctx context.Context, v any, us serializer.Users) (any, error) {
//		out, err := base.Serialize(ctx, v, us) // a *serializer.MessageOut
//		...
//	}))
func Default(name string) Serializer {
	ser, ok := defaults().m[name]
	if !ok {
		return nil
	}
	return ser
}

// setKey is the context key of the Set running a serializer.
type setKey struct{}

// withSet returns ctx carrying s as the running set (ctx itself when it
// already does, so nested parts add nothing).
func withSet(ctx context.Context, s *Set) context.Context {
	if cur, _ := ctx.Value(setKey{}).(*Set); cur == s {
		return ctx
	}
	return context.WithValue(ctx, setKey{}, s)
}

// runningSet returns the set running a serializer, or fallback outside one.
func runningSet(ctx context.Context, fallback *Set) *Set {
	if s, ok := ctx.Value(setKey{}).(*Set); ok {
		return s
	}
	return fallback
}
