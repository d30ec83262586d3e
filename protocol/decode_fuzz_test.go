package protocol_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/rtchat/rtchat/protocol"
)

// FuzzDecodeRequest feeds DecodeRequest any frame. It must not panic; a
// refusal is a 4003 whose error frame encodes; an accepted frame is a JSON
// object with a valid request_id, and re-encoding the request decodes to
// the same request. The seeds are in testdata/fuzz/FuzzDecodeRequest.
func FuzzDecodeRequest(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw []byte) {
		req, perr := protocol.DecodeRequest(raw)
		if perr != nil {
			if perr.Code != protocol.CodeInvalid {
				t.Fatalf("refused with %d, want 4003", perr.Code)
			}
			if req.EventType != "" || req.RequestID != "" || req.Data != nil {
				t.Fatalf("a refusal returned a request: %+v", req)
			}
			frame, err := protocol.EncodeError(perr, "", "")
			if err != nil || !json.Valid(frame) {
				t.Fatalf("error frame %q does not encode: %v", frame, err)
			}
			return
		}
		if tr := bytes.TrimSpace(raw); len(tr) == 0 || tr[0] != '{' || !json.Valid(tr) {
			t.Fatalf("accepted a frame that is not a JSON object: %q", raw)
		}
		if len(req.RequestID) > protocol.MaxRequestIDLen {
			t.Fatalf("accepted a request_id of %d bytes", len(req.RequestID))
		}
		if !utf8.ValidString(req.EventType) || !utf8.ValidString(req.RequestID) {
			t.Fatalf("invalid UTF-8 decoded: %q %q", req.EventType, req.RequestID)
		}
		if req.Data != nil && !json.Valid(req.Data) {
			t.Fatalf("data %q is not JSON", req.Data)
		}
		// What the consumer answers an accepted frame with encodes.
		if _, err := protocol.EncodeError(protocol.NewError(protocol.CodeInvalid, protocol.DetailInvalidEventType), req.EventType, req.RequestID); err != nil {
			t.Fatalf("error frame does not encode: %v", err)
		}
		again, err := json.Marshal(req)
		if err != nil {
			t.Fatalf("re-encode %+v: %v", req, err)
		}
		back, perr := protocol.DecodeRequest(again)
		if perr != nil {
			t.Fatalf("re-encoded %s refused: %v", again, perr)
		}
		if back.EventType != req.EventType || back.RequestID != req.RequestID || !sameJSON(back.Data, req.Data) {
			t.Fatalf("round trip changed the request: %+v -> %+v", req, back)
		}
	})
}

// sameJSON reports whether a and b are the same JSON text up to
// insignificant space (absent equals absent).
func sameJSON(a, b json.RawMessage) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return false
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}
