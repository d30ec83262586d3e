package protocol

import "encoding/json"

// MaxRequestIDLen is the longest request_id a client may send.
const MaxRequestIDLen = 64

// Request is a client-to-server frame.
type Request struct {
	EventType string          `json:"event_type"`
	Data      json.RawMessage `json:"data,omitempty"`
	RequestID string          `json:"request_id,omitempty"`
}

// Frame is a server-to-client frame: an event with its data, or an error
// answering a request. Exactly one of EventType (with Data) and Error is set.
// Status is set only on the heartbeat answer, which the original sent as the
// bare object {"status":"success"}.
type Frame struct {
	EventType  string          `json:"eventType,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
	RequestID  string          `json:"request_id,omitempty"`
	Error      *Error          `json:"error,omitempty"`
	ErrorEvent string          `json:"event_type,omitempty"`
	Status     string          `json:"status,omitempty"`
}

// outFrame is what the server marshals: Data is any value.
type outFrame struct {
	EventType string `json:"eventType"`
	Data      any    `json:"data"`
	RequestID string `json:"request_id,omitempty"`
	Status    string `json:"status,omitempty"`
}

type errFrame struct {
	Error     *Error `json:"error"`
	EventType string `json:"event_type"`
	RequestID string `json:"request_id,omitempty"`
}

// EncodeEvent marshals a server event frame.
func EncodeEvent(eventType string, data any, requestID string) ([]byte, error) {
	return json.Marshal(outFrame{EventType: eventType, Data: data, RequestID: requestID})
}

// EncodeStatus marshals the heartbeat answer: {"eventType": ..., "status":
// "success", "data": {"status": "success"}}, which old clients read as
// {"status":"success"}.
func EncodeStatus(eventType, status, requestID string) ([]byte, error) {
	return json.Marshal(outFrame{EventType: eventType, Data: map[string]string{"status": status}, RequestID: requestID, Status: status})
}

// EncodeError marshals an error frame answering the request eventType.
func EncodeError(e *Error, eventType, requestID string) ([]byte, error) {
	return json.Marshal(errFrame{Error: e, EventType: eventType, RequestID: requestID})
}

// WithRequestID returns a copy of an encoded event frame (from EncodeEvent
// with no request_id) that carries requestID, without encoding the data
// again.
func WithRequestID(frame []byte, requestID string) []byte {
	if requestID == "" || len(frame) < 2 || frame[len(frame)-1] != '}' {
		return frame
	}
	id, _ := json.Marshal(requestID) // a string always marshals
	out := make([]byte, 0, len(frame)+len(id)+14)
	out = append(out, frame[:len(frame)-1]...)
	out = append(out, `,"request_id":`...)
	out = append(out, id...)
	return append(out, '}')
}
