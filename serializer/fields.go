package serializer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/rtchat/rtchat/model"
)

// ExtraFielder is the optional ability of a Message serializer to name the
// app's message fields (by JSON name) it shows: message.send's and
// message.modify's extra_fields accept exactly those (MessageWithFields).
type ExtraFielder interface {
	// ExtraFields returns the JSON names of the fields.
	ExtraFields() []string
}

// MessageWithFields returns a Message serializer that renders a message as
// base does and adds the app's listed fields (rtchat.WithModel("Message",
// ...)) as top-level keys, read from the message's Custom value; a message
// without one shows them as null. The fields are named by their JSON
// names: the app field's json tag, else its bun column name. Nested
// messages (a reply's parent, a forward's source) show them too, as
// long as base renders them through the set, as Default(NameMessage) does.
// It implements ExtraFielder, so message.send's and message.modify's
// extra_fields accept the fields; rtchat.New refuses a field that the app's
// Message model lacks.
func MessageWithFields(base Serializer, fields ...string) Serializer {
	return &withFields{base: base, fields: slices.Clone(fields)}
}

type withFields struct {
	base   Serializer
	fields []string
}

var _ ExtraFielder = (*withFields)(nil)

func (w *withFields) ExtraFields() []string { return slices.Clone(w.fields) }

func (w *withFields) Serialize(ctx context.Context, v any, us Users) (any, error) {
	if w.base == nil {
		return nil, errors.New("rtchat: MessageWithFields: base serializer is nil")
	}
	out, err := w.base.Serialize(ctx, v, us)
	if err != nil {
		return nil, err
	}
	m, ok := v.(*model.Message)
	if !ok {
		return out, nil
	}
	vals := make([]any, len(w.fields))
	for i, f := range w.fields {
		vals[i], _ = model.CustomValue(m.Custom, f)
	}
	return &FieldsOut{Base: out, Names: w.fields, Values: vals}, nil
}

// FieldsOut is what MessageWithFields renders: its base's shape (a JSON
// object) with the fields added as top-level keys.
type FieldsOut struct {
	Base   any
	Names  []string
	Values []any
}

// MarshalJSON writes Base's object with the fields added after its keys.
func (o *FieldsOut) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(o.Base)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSpace(b)
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		return nil, errors.New("rtchat: MessageWithFields: the base serializer did not render an object")
	}
	out := append([]byte(nil), b[:len(b)-1]...)
	empty := len(bytes.TrimSpace(b[1:len(b)-1])) == 0
	for i, name := range o.Names {
		if !empty || i > 0 {
			out = append(out, ',')
		}
		k, _ := json.Marshal(name)
		v, err := json.Marshal(o.Values[i])
		if err != nil {
			return nil, err
		}
		out = append(append(append(out, k...), ':'), v...)
	}
	return append(out, '}'), nil
}

// ExtraFields returns the fields the set's Message serializer accepts in
// extra_fields (ExtraFielder), or none.
func (s *Set) ExtraFields() []string {
	if ef, ok := s.m[NameMessage].(ExtraFielder); ok {
		return ef.ExtraFields()
	}
	return nil
}
