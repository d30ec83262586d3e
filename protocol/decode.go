package protocol

import (
	"bytes"
	"encoding/json"
)

// envelope is the loose decoding of a client frame, so a field of the wrong
// type is reported precisely instead of failing the whole frame.
type envelope struct {
	EventType json.RawMessage `json:"event_type"`
	Data      json.RawMessage `json:"data"`
	RequestID json.RawMessage `json:"request_id"`
}

// DecodeRequest decodes a client's text frame. A frame that is not a JSON
// object is 4003 DetailMalformedFrame; a request_id that is not a string
// (null counts as none) or is longer than MaxRequestIDLen is 4003 naming
// request_id. Those errors answer no event and no request. An event_type
// that is not a string decodes as "", which no event is: the caller answers
// it as an unknown event, with the request_id. Data is the frame's data as
// sent (nil when absent). DecodeRequest never panics, whatever raw holds.
func DecodeRequest(raw []byte) (Request, *Error) {
	trimmed := bytes.TrimSpace(raw)
	var env envelope
	if len(trimmed) == 0 || trimmed[0] != '{' || json.Unmarshal(trimmed, &env) != nil {
		return Request{}, NewError(CodeInvalid, DetailMalformedFrame)
	}
	var req Request
	if len(env.RequestID) > 0 && string(env.RequestID) != "null" {
		if json.Unmarshal(env.RequestID, &req.RequestID) != nil {
			return Request{}, Invalid(FieldErrors{"request_id": {"Expected a string."}})
		}
		if len(req.RequestID) > MaxRequestIDLen {
			return Request{}, Invalid(FieldErrors{"request_id": {DetailRequestIDTooLong}})
		}
	}
	_ = json.Unmarshal(env.EventType, &req.EventType) // a non-string is an unknown event
	req.Data = env.Data
	return req, nil
}
