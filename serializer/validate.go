package serializer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/go-playground/validator/v10"
	"github.com/rtchat/rtchat/protocol"
)

var (
	validateOnce sync.Once
	validate     *validator.Validate
)

func validatorInstance() *validator.Validate {
	validateOnce.Do(func() {
		v := validator.New(validator.WithRequiredStructEnabled())
		// Report fields by their JSON names, as the client sent them.
		// (Fields without a JSON name are reported by their Go name; input
		// structs put no validate tag on such fields.)
		v.RegisterTagNameFunc(func(f reflect.StructField) string {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				return ""
			}
			return name
		})
		// The attachment MIME types of the original package.
		_ = v.RegisterValidation("mimetype", func(fl validator.FieldLevel) bool {
			return AllowedMimeType(fl.Field().String())
		})
		// A room's avatar: an http(s) URL or "" (none).
		_ = v.RegisterValidation("avatar", func(fl validator.FieldLevel) bool {
			return validAvatar(fl.Field().String())
		})
		// uuid is the hyphenated form only, as CanonicalUUID reads it
		// (the built-in check agrees; one rule keeps message_id lists,
		// checked by hand, the same).
		_ = v.RegisterValidation("uuid", func(fl validator.FieldLevel) bool {
			_, ok := CanonicalUUID(fl.Field().String())
			return ok
		})
		validate = v
	})
	return validate
}

// Decode unmarshals an event's data into dst and validates it with the
// `validate` struct tags. A missing or null data counts as {}. Every failure
// is a 4003 *protocol.Error whose detail maps field names to messages.
// Every string field with a uuid check (nested ones too) is lower-cased
// first, so an id sent in upper case reaches the row it names.
func Decode(data json.RawMessage, dst any) error {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		trimmed = []byte("{}")
	}
	if trimmed[0] != '{' {
		return protocol.Invalid(protocol.FieldErrors{"data": {"must be a JSON object"}})
	}
	if err := json.Unmarshal(trimmed, dst); err != nil {
		return decodeError(err)
	}
	normalizeUUIDs(dst)
	return Validate(dst)
}

// Validate checks v's `validate` struct tags and returns a 4003
// *protocol.Error listing each failing field, or nil.
func Validate(v any) error {
	err := validatorInstance().Struct(v)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return protocol.Invalid(protocol.FieldErrors{"data": {err.Error()}})
	}
	fields := protocol.FieldErrors{}
	for _, fe := range verrs {
		fields.Add(fieldPath(fe), fieldMessage(fe))
	}
	return protocol.Invalid(fields)
}

// fieldPath drops the struct name validator puts first: "req.room_id" -> "room_id".
func fieldPath(fe validator.FieldError) string {
	ns := fe.Namespace()
	if _, rest, ok := strings.Cut(ns, "."); ok {
		return rest
	}
	return fe.Field()
}

func fieldMessage(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "This field is required."
	case "max":
		if fe.Kind() == reflect.String {
			return fmt.Sprintf("Ensure this field has no more than %s characters.", fe.Param())
		}
		if fe.Kind() == reflect.Slice || fe.Kind() == reflect.Map {
			return fmt.Sprintf("Ensure this field has no more than %s elements.", fe.Param())
		}
		return fmt.Sprintf("Ensure this value is less than or equal to %s.", fe.Param())
	case "min":
		if fe.Kind() == reflect.String {
			return fmt.Sprintf("Ensure this field has at least %s characters.", fe.Param())
		}
		if fe.Kind() == reflect.Slice || fe.Kind() == reflect.Map {
			return fmt.Sprintf("Ensure this field has at least %s elements.", fe.Param())
		}
		return fmt.Sprintf("Ensure this value is greater than or equal to %s.", fe.Param())
	case "mimetype":
		return "Unsupported MIME type."
	case "url", "http_url":
		return "Enter a valid URL."
	case "avatar":
		return "Enter an http or https URL, or \"\" for none."
	case "uuid", "uuid4":
		return "Must be a valid UUID."
	case "oneof":
		return fmt.Sprintf("Must be one of: %s.", fe.Param())
	case "gt":
		return fmt.Sprintf("Ensure this value is greater than %s.", fe.Param())
	case "gte":
		return fmt.Sprintf("Ensure this value is greater than or equal to %s.", fe.Param())
	}
	return fmt.Sprintf("Failed the %q check.", fe.Tag())
}

func decodeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "data"
		}
		return protocol.Invalid(protocol.FieldErrors{field: {fmt.Sprintf("Expected %s, got %s.", jsonKind(te.Type), te.Value)}})
	}
	return protocol.Invalid(protocol.FieldErrors{"data": {"Invalid JSON: " + err.Error()}})
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}
