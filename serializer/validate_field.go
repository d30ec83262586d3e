package serializer

import (
	"errors"
	"fmt"

	"github.com/go-playground/validator/v10"
	"github.com/rtchat/rtchat/protocol"
)

// ValidateField checks one value against a `validate` tag (an app model's
// field, see MessageWithFields) and returns a 4003 *protocol.Error naming
// the field as name, or nil. An empty tag accepts anything.
func ValidateField(name string, v any, tag string) error {
	if tag == "" {
		return nil
	}
	err := validatorInstance().Var(v, tag)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return protocol.Invalid(protocol.FieldErrors{name: {err.Error()}})
	}
	fields := protocol.FieldErrors{}
	for _, fe := range verrs {
		fields.Add(name, fieldMessage(fe))
	}
	return protocol.Invalid(fields)
}

// CheckTag reports whether tag is a `validate` tag the validator knows
// (an unknown one would make it panic on every value).
func CheckTag(v any, tag string) (err error) {
	if tag == "" {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("bad validate tag %q: %v", tag, r)
		}
	}()
	_ = validatorInstance().Var(v, tag)
	return nil
}
