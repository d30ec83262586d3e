package handler

import (
	"context"
	"encoding/json"
	"reflect"
	"time"

	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
)

// The app's own message fields (rtchat.WithModel("Message", ...)) that the
// Message serializer accepts (serializer.MessageWithFields) are set by
// message.send's extra_fields and changed by message.modify's update.

// messageFields returns the app's message model and the fields of it that
// the Message serializer accepts; cm is nil when the app kept rtchat's
// message.
func messageFields(env *Env) (cm *model.CustomModel, fields []*model.CustomField) {
	cm = env.Store.Custom().Model("Message")
	if cm == nil {
		return nil, nil
	}
	for _, name := range env.Serializers.ExtraFields() {
		if f := cm.Field(name); f != nil { // New checked that each exists
			fields = append(fields, f)
		}
	}
	return cm, fields
}

// decodeFields decodes each of fields given in ef into app (a pointer to
// the app's message struct) and validates it with its `validate` tag; a
// failure is 4003 naming extra_fields.<name>. It returns the fields given.
func decodeFields(fields []*model.CustomField, ef map[string]json.RawMessage, app any) ([]*model.CustomField, error) {
	var given []*model.CustomField
	for _, f := range fields {
		raw, ok := ef[f.JSON]
		if !ok {
			continue
		}
		name := "extra_fields." + f.JSON
		v := f.Value(app)
		// A fresh value, so that a JSON object replaces a map rather than
		// merging into the template's.
		fresh := reflect.New(f.Type)
		if err := json.Unmarshal(raw, fresh.Interface()); err != nil {
			return nil, protocol.Invalid(protocol.FieldErrors{name: {"Expected " + jsonKind(f.Type) + "."}})
		}
		if err := serializer.ValidateField(name, fresh.Elem().Interface(), f.Validate); err != nil {
			return nil, err
		}
		v.Set(fresh.Elem())
		given = append(given, f)
	}
	return given, nil
}

// jsonKind names what a field of type t takes, for an error.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	}
	return "an object"
}

// rawExtraFields returns the extra_fields object of the request, by key.
func rawExtraFields(r *Request) map[string]json.RawMessage {
	var in struct {
		ExtraFields map[string]json.RawMessage `json:"extra_fields"`
	}
	_ = json.Unmarshal(r.Data, &in) // Decode already refused a malformed frame
	return in.ExtraFields
}

// customMessage returns the app's value of a message.send: a copy of the
// template with the accepted extra_fields given set, or nil when the app
// kept rtchat's message or gave none (the store then copies the template).
func customMessage(r *Request) (any, error) {
	cm, fields := messageFields(r.Env)
	if cm == nil || len(fields) == 0 {
		return nil, nil
	}
	app := cm.New(&model.Message{})
	given, err := decodeFields(fields, rawExtraFields(r), app)
	if err != nil || len(given) == 0 {
		return nil, err
	}
	return app, nil
}

// messageUpdate is what a message.modify update changes: the content (nil:
// unchanged) and the app's fields given, whose new values values holds.
type messageUpdate struct {
	content *string
	fields  []*model.CustomField
	values  any
}

// parseUpdate reads the extra_fields of an update: content, and the app's
// fields the Message serializer accepts; at least one of them.
func parseUpdate(r *Request, ef map[string]json.RawMessage) (messageUpdate, error) {
	cm, fields := messageFields(r.Env)
	if len(fields) == 0 {
		content, err := updatedContent(r, ef)
		return messageUpdate{content: &content}, err
	}
	errs := protocol.FieldErrors{}
	for k := range ef {
		if k != "content" && !accepts(fields, k) {
			errs.Add("extra_fields."+k, "This field cannot be changed.")
		}
	}
	if len(errs) > 0 {
		return messageUpdate{}, protocol.Invalid(errs)
	}
	u := messageUpdate{values: cm.New(&model.Message{})}
	var err error
	if u.fields, err = decodeFields(fields, ef, u.values); err != nil {
		return messageUpdate{}, err
	}
	raw, ok := ef["content"]
	switch {
	case ok:
		var content string
		if json.Unmarshal(raw, &content) != nil {
			return messageUpdate{}, protocol.Invalid(protocol.FieldErrors{"extra_fields.content": {"Expected a string."}})
		}
		if content, err = cleanContent(r, content, false); err != nil {
			return messageUpdate{}, err
		}
		u.content = &content
	case len(u.fields) == 0:
		return messageUpdate{}, protocol.Invalid(protocol.FieldErrors{"extra_fields.content": {"This field is required."}})
	}
	return u, nil
}

func accepts(fields []*model.CustomField, name string) bool {
	for _, f := range fields {
		if f.JSON == name {
			return true
		}
	}
	return false
}

// applyUpdate stores an update of msg: a content change alone is
// EditMessage; with the app's fields, EditMessageFields, in which changing
// the fields alone is no edit.
func applyUpdate(ctx context.Context, r *Request, msg *model.Message, u messageUpdate, now time.Time) error {
	if len(u.fields) == 0 {
		return r.Env.Store.EditMessage(ctx, msg, *u.content, now)
	}
	cm := r.Env.Store.Custom().Model("Message")
	var app any
	if msg.Custom != nil {
		app = cm.Clone(msg.Custom)
	} else {
		app = cm.New(msg)
	}
	cols := make([]string, len(u.fields))
	for i, f := range u.fields {
		f.Value(app).Set(f.Value(u.values))
		cols[i] = f.Column
	}
	return r.Env.Store.EditMessageFields(ctx, msg, u.content, app, cols, now)
}
