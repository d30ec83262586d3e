package protocol

import (
	"errors"
	"fmt"
)

// Error is the one wire error of rtchat: a protocol code and a detail. Handlers
// return it; the consumer turns it into an error frame. Detail is a string, or
// a map of field name to messages for validation errors.
type Error struct {
	Code   int `json:"code"`
	Detail any `json:"detail"`
	// RetryAfterMS is set on a 4029 refusing a frame over a rate limit:
	// how many milliseconds until the same frame would pass.
	RetryAfterMS int64 `json:"retry_after_ms,omitempty"`
	// Unanswered is set on a 4029 refusing a frame over a rate limit: how
	// many frames were refused since the previous 4029 without an answer
	// of their own (refusals are coalesced so a flood does not fill the
	// connection's send buffer).
	Unanswered int `json:"unanswered,omitempty"`
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("rtchat: code %d: %v", e.Code, e.Detail)
}

// Errorf returns an *Error with the given code and a formatted detail string.
func Errorf(code int, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// NewError returns an *Error with the given code and detail.
func NewError(code int, detail any) *Error {
	return &Error{Code: code, Detail: detail}
}

// FieldErrors is the detail of a validation error: field name to messages.
type FieldErrors map[string][]string

// Add appends a message for a field.
func (f FieldErrors) Add(field, msg string) { f[field] = append(f[field], msg) }

// Invalid returns a 4003 error whose detail is the field errors.
func Invalid(fields FieldErrors) *Error { return &Error{Code: CodeInvalid, Detail: fields} }

// NotFound returns the 4004 error with the original's detail text.
func NotFound() *Error { return &Error{Code: CodeNotFound, Detail: DetailNotFound} }

// Denied returns a 4002 error; an empty detail gets the default text.
func Denied(detail string) *Error {
	if detail == "" {
		detail = DetailPermissionDenied
	}
	return &Error{Code: CodePermissionDenied, Detail: detail}
}

// AsError reports whether err is or wraps an *Error and returns it.
func AsError(err error) (*Error, bool) {
	var pe *Error
	if errors.As(err, &pe) {
		return pe, true
	}
	return nil, false
}
